"""The per-address login limit with Redis storage, as configured in production.

Needs the Redis server at 127.0.0.1:6379 and fails when it is missing. It runs in a separate
process because the limiter's storage is process-wide.
"""
import json
import subprocess
import sys
import textwrap

import pytest

from app.config import PROJECT_ROOT

# Redis databases 14 and 15 are shared with the other Redis tests: one xdist worker runs them all
pytestmark = pytest.mark.xdist_group("redis")

SCRIPT = textwrap.dedent("""
    import redis, uuid
    redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=3).ping()  # fail loudly if missing
    from app import create_app
    from app.extensions import limiter
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
                      "LOGIN_LIMIT_PER_ADDRESS": "3 per minute"})
    with app.app_context():
        from app.extensions import db
        db.create_all()
        limiter.reset()
    client = app.test_client()
    address = {"REMOTE_ADDR": "10.9.8.7"}
    codes = [client.post("/login", data={"username": "nobody", "password": "x"}, environ_base=address).status_code
             for _ in range(4)]
    page = client.post("/login", data={"username": "nobody", "password": "x"}, environ_base=address)
    other = client.post("/login", data={"username": "nobody", "password": "x"},
                        environ_base={"REMOTE_ADDR": "10.9.8.8"}).status_code
    print(codes, page.status_code, "尝试次数过多" in page.get_data(as_text=True), other)
    with app.app_context():
        limiter.reset()
""")


def test_login_limit_is_kept_in_redis():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[200, 200, 200, 429] 429 True 200"


REDIS_DOWN = textwrap.dedent("""
    import json
    from app import create_app
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/15",  # nothing listens there
                      "LOGIN_LIMIT_PER_ADDRESS": "3 per minute"})
    with app.app_context():
        from app.extensions import db
        db.create_all()
    client = app.test_client()
    address = {"REMOTE_ADDR": "10.9.8.7"}
    pages = [client.post("/login", data={"username": "nobody", "password": "x"}, environ_base=address)
             for _ in range(4)]
    wrong = "用户名或密码错误" in pages[0].get_data(as_text=True)
    limited = "尝试次数过多" in pages[-1].get_data(as_text=True)
    ready = client.get("/readyz")
    print([page.status_code for page in pages], wrong, limited, ready.status_code,
          json.dumps(ready.get_json()["checks"]["rate_limit_storage"]))
""")


def test_with_redis_down_logins_go_on_and_are_limited_per_process():
    """Redis down: the login page answers (no 500), the per-address limit still refuses the fourth try
    (counted in this process's memory), and /readyz reports the rate-limit storage unreachable."""
    result = subprocess.run([sys.executable, "-c", REDIS_DOWN], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("[200, 200, 200, 429] True True 503 "), line
    assert json.loads(line.split(" 503 ", 1)[1]) == {"ok": False, "detail": "unreachable"}
    assert "rate-limit storage unreachable" in result.stderr

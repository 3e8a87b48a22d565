"""The login backoff and the picture answers live in the limiter's shared storage (Redis in production):
what one worker process counted, another sees.

Needs the Redis server at 127.0.0.1:6379 and fails when it is missing. Each "worker" is a process of
its own, as under gunicorn; they share only Redis (and a throwaway SQLite file for the accounts).
"""
import subprocess
import sys
import textwrap

import pytest

from app.config import PROJECT_ROOT

# Redis databases 14 and 15 are shared with the other Redis tests: one xdist worker runs them all
pytestmark = pytest.mark.xdist_group("redis")

SETUP = textwrap.dedent("""
    import json, sys
    import redis
    redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=3).ping()  # fail loudly if missing
    from app import create_app
    from app.extensions import db, limiter
    from app.infra import throttle
    from models import Account, Role
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1],
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/14"})
    client = app.test_client()
    address = {"REMOTE_ADDR": "10.9.7.1"}
    def attempt(password, **extra):
        response = client.post("/login", data={"username": "reviewer", "password": password, **extra},
                               environ_base=address)
        return response.status_code, response.get_data(as_text=True)
""")

FIRST = SETUP + textwrap.dedent("""
    with app.app_context():
        db.create_all()
        limiter.reset()
        account = Account(username="reviewer", role=Role.SUPPORT, display_name="r")
        account.set_password("Secret.123")
        db.session.add(account)
        db.session.commit()
    print(json.dumps([("用户名或密码错误" in attempt("Wrong.1")[1]), ("用户名或密码错误" in attempt("Wrong.2")[1])]))
    client.get("/login/captcha.png", environ_base=address)
    with client.session_transaction() as session:
        print(session["login_captcha"])
""")

SECOND = SETUP + textwrap.dedent("""
    challenge = sys.argv[2]
    with app.app_context():
        answer = throttle.challenge_answer(challenge)
        needed = throttle.captcha_needed("reviewer", "10.9.7.1")
    with client.session_transaction() as session:  # the same browser, now served by another worker
        session["login_captcha"] = challenge
    status, html = attempt("Wrong.3", captcha=str(answer))
    third = "用户名或密码错误" in html
    with client.session_transaction() as session:
        session["login_captcha"] = challenge
    status, replay = attempt("Wrong.4", captcha=str(answer))
    client.get("/login/captcha.png", environ_base=address)
    with client.session_transaction() as session:
        with app.app_context():
            fresh = str(throttle.challenge_answer(session["login_captcha"]))
    fourth = attempt("Secret.123", captcha=fresh)[1]  # the 4th try within the minute from this address
    print(json.dumps([answer is not None, needed, third, "计算结果错误" in replay, "登录尝试过于频繁" in fourth]))
    with app.app_context():
        limiter.reset()
""")


def run(script: str, *args: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()


def test_a_second_worker_sees_the_failures_and_the_picture_of_the_first(tmp_path):
    database = str(tmp_path / "accounts.db")
    first = run(FIRST, database)
    assert first[-2] == "[true, true]"
    challenge = first[-1]
    # another process: the failures ask for the picture, its answer is there, once, and the backoff holds
    assert run(SECOND, database, challenge)[-1] == "[true, true, true, true, true]"

"""The migration that introduces reset links masks what the SMS log held in clear before: the
passwords support used to text, and the verification codes (a database of its own, SQLite)."""
from __future__ import annotations

from datetime import datetime

from flask_migrate import upgrade
from sqlalchemy import column, insert, inspect, select, table

from app import create_app
from app.config import TestConfig
from app.extensions import db
from models import SmsLog


def test_old_sms_rows_lose_their_passwords_and_codes(tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'old.db'}"
        UPLOAD_FOLDER = str(tmp_path)

    app = create_app(Config)
    with app.app_context():
        upgrade(revision="2e4b70297d94")
        old = [("register", "【河南省卫生健康培训招收平台】您的验证码是 482913，5分钟内有效。请勿泄露。"),
               ("reset_password", "【河南省卫生健康培训招收平台】您的验证码是 000417，5分钟内有效。请勿泄露。"),
               ("password_sent", "您在河南省卫生健康培训招收平台的密码已重置为 Xy7.kq2#Wm9p ，请登录后修改。"),
               ("notify", "您的报名（编号 123456）已通过审核。")]
        old_log = table("sms_log", *(column(name) for name in (
            "phone", "purpose", "content", "backend", "succeeded", "created_at")))  # the columns of that revision
        db.session.execute(insert(old_log), [
            {"phone": "13912345678", "purpose": purpose, "content": content, "backend": "console",
             "succeeded": True, "created_at": datetime(2025, 1, 1)} for purpose, content in old])
        db.session.commit()
        upgrade()
        rows = dict(db.session.execute(select(SmsLog.purpose, SmsLog.content)).all())
        assert rows["register"] == "【河南省卫生健康培训招收平台】您的验证码是 ****，5分钟内有效。请勿泄露。"
        assert "000417" not in rows["reset_password"]
        assert "Xy7.kq2#Wm9p" not in rows["password_sent"] and "已隐去" in rows["password_sent"]
        assert rows["notify"] == "您的报名（编号 123456）已通过审核。"  # notifications hold no secret
        # the outbox migration: what was logged before was sent once, at once
        assert set(db.session.execute(select(SmsLog.state, SmsLog.attempts, SmsLog.sent_at)).all()) == {
            ("sent", 1, datetime(2025, 1, 1))}
        assert "password_reset" in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()

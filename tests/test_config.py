import pytest

from caseflow import create_app
from caseflow.config import ConfigError


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"CASEFLOW_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_production_refuses_demo_data(tmp_path):
    with pytest.raises(ConfigError, match="demo"):
        create_app({"CASEFLOW_ENV": "production", "SECRET_KEY": "x" * 40, "MASTER_KEY": "A" * 43,
                    "ALLOW_DEMO_DATA": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_production_sets_secure_cookies_and_no_demo(tmp_path):
    app = create_app({"CASEFLOW_ENV": "production", "SECRET_KEY": "x" * 40, "MASTER_KEY": "A" * 43,
                      "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["ALLOW_DEMO_DATA"] is False
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "production" in result.output


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="CASEFLOW_ENV"):
        create_app({"CASEFLOW_ENV": "staging", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_database_url_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/from-env.db")
    app = create_app({"CASEFLOW_ENV": "testing"})
    assert app.config["DATABASE_URL"].endswith("from-env.db")


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"CASEFLOW_ENV": "testing"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{app.instance_path}/caseflow.sqlite3"


def test_production_refuses_to_start_without_a_master_key(tmp_path):
    with pytest.raises(ConfigError, match="master key"):
        create_app({"CASEFLOW_ENV": "production", "SECRET_KEY": "x" * 40, "ALLOW_DEMO_DATA": False,
                    "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})

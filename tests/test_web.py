"""Error pages by Accept header, French UI, security headers."""

from tests.conftest import csrf_token


def test_404_answers_html_or_json_by_accept(client, auth):
    auth.login("auditor")
    html = client.get("/cases/NOPE-1", headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.mimetype == "text/html"
    js = client.get("/cases/NOPE-1", headers={"Accept": "application/json"})
    assert js.status_code == 404 and js.mimetype == "application/problem+json"
    assert js.get_json()["status"] == 404 and js.get_json()["title"]


def test_403_in_json(client, auth):
    auth.login("reviewer.un")
    r = client.get("/cases/new", headers={"Accept": "application/json"})
    assert r.status_code == 403 and r.get_json()["type"] == "/problems/forbidden"


def test_security_headers(client):
    r = client.get("/login")
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Request-Id"]


def test_switch_to_french_is_remembered_for_the_user(client, auth, app):
    auth.login("auditor")
    token = csrf_token(client, "/dashboard")
    client.post("/language", data={"csrf_token": token, "locale": "fr", "next": "/dashboard"})
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Tableau de bord" in page and "Dashboard</h1>" not in page
    other = app.test_client()  # a new login remembers the language
    from tests.conftest import login

    login(other, "auditor@caseflow.demo")
    assert "Tableau de bord" in other.get("/dashboard").get_data(as_text=True)


def test_anonymous_language_choice(client):
    token = csrf_token(client)
    client.post("/language", data={"csrf_token": token, "locale": "fr", "next": "/login"})
    assert "Mot de passe" in client.get("/login").get_data(as_text=True)


def test_characters_no_export_can_write_are_refused_at_the_door(client, auth):
    auth.login("auditor")
    for query in ("region=Ga%00o", "region=Gao&region=%00", "region=North%EF%BF%BEEast", "region=%EF%BF%BF",
                  "region=%07bell"):
        r = client.get(f"/cases/?{query}")
        assert r.status_code == 422 and "region" in r.get_data(as_text=True), query
    assert client.get("/cases/CF%00").status_code == 404
    r = client.get("/api/v1/cases?region=%00", headers={"Accept": "application/json"})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.json["errors"]["region"]
    r = client.post("/login", data={"email": "a\x00b@x.org", "password": "x"})
    assert r.status_code == 400  # no CSRF token: refused before anything is read
    r = client.post("/cases/", data={"csrf_token": csrf_token(client, "/dashboard"), "name": "Ami\ufffe"})
    assert r.status_code == 422


def test_every_answer_carries_the_security_headers(client, auth):
    answers = [client.get("/login"), client.get("/no/such/page"), client.post("/login", data={}),
               client.get("/api/v1/cases"), client.get("/cases/")]
    auth.login("partner")
    answers += [client.get("/admin/"), client.get("/cases/CF-1999-99999"), client.get("/dashboard")]
    for r in answers:
        h = r.headers
        assert h["X-Content-Type-Options"] == "nosniff", r.status
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert h["X-Frame-Options"] == "DENY" and h["Referrer-Policy"] == "same-origin"
        assert h["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in h  # only in production, behind TLS
    assert {r.status_code for r in answers} >= {200, 302, 400, 401, 403, 404}


def test_production_sends_hsts_and_trusts_only_the_configured_proxies(database):
    from caseflow import create_app
    from tests.conftest import app_config

    app = create_app(app_config(database.url, CASEFLOW_ENV="production", ALLOW_DEMO_DATA=False, MASTER_KEY="A" * 43,
                                HSTS_SECONDS=31_536_000, TRUSTED_PROXIES=1))
    seen = {}

    @app.route("/_addr")
    def _addr():
        from flask import request

        seen["addr"] = request.remote_addr
        return "ok"

    r = app.test_client().get("/_addr", headers={"X-Forwarded-For": "203.0.113.7"},
                              environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert "max-age=31536000" in r.headers["Strict-Transport-Security"]
    assert seen["addr"] == "203.0.113.7"
    plain = create_app(app_config(database.url))
    plain.add_url_rule("/_addr", view_func=_addr)
    plain.test_client().get("/_addr", headers={"X-Forwarded-For": "203.0.113.7"},
                            environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert seen["addr"] == "10.0.0.9"


def test_the_404_page_says_what_happened_and_where_to_go(client, auth):
    auth.login("auditor")  # reads English
    r = client.get("/no/such/page")
    page = r.get_data(as_text=True)
    assert r.status_code == 404 and "There is nothing at this address" in page
    assert 'href="/cases/"' in page and 'href="/dashboard"' in page
    auth.logout()
    auth.login("registrar")  # reads French
    page = client.get("/no/such/page").get_data(as_text=True)
    assert "Il n&#39;y a rien à cette adresse" in page and "La liste des dossiers" in page
    assert "There is nothing" not in page

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


def test_nul_bytes_anywhere_are_a_400_not_a_500(client, auth):
    auth.login("auditor")
    assert client.get("/cases/?region=Ga%00o").status_code == 400
    assert client.get("/cases/CF%00").status_code == 400
    assert client.get("/cases/?region=Gao&region=%00").status_code == 400  # every value, not the first
    r = client.get("/api/v1/cases?region=%00", headers={"Accept": "application/json"})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    r = client.post("/login", data={"email": "a\x00b@x.org", "password": "x"})
    assert r.status_code == 400

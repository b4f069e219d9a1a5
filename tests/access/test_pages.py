"""The access pages over HTTP: log-in (throttled), CSRF on every form, logout, users, break-glass, audit,
and the patient's own access page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from joinedup.access import service
from joinedup.access.accounts import USERNAME_FAILURE_LIMIT
from joinedup.access.policy import PatientContext
from joinedup.web.auth import SESSION_COOKIE

from .conftest import PASSWORD, MakeUser, csrf_from, log_in

PATIENT = PatientContext(nhs_number="9990000018", registered_practice_ods="Y90001")


def test_the_login_page_is_an_nhs_form_with_a_csrf_token(client: TestClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    assert "nhsuk-header" in page.text and 'name="csrf_token"' in page.text
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=Lax" in page.headers["set-cookie"]


def test_a_wrong_password_shows_the_error_summary(client: TestClient, make_user: MakeUser) -> None:
    make_user("gp1", "gp", "Y90001", password=PASSWORD)
    response = log_in(client, "gp1", "wrong-password")
    assert response.status_code == 401
    assert "nhsuk-error-summary" in response.text
    assert "The username or password is not right." in response.text
    assert SESSION_COOKIE not in client.cookies


def test_empty_fields_are_each_named(client: TestClient) -> None:
    response = log_in(client, "", "")
    assert response.status_code == 422
    assert "Enter your username" in response.text and "Enter your password" in response.text


def test_a_form_without_its_csrf_token_is_refused(client: TestClient, make_user: MakeUser) -> None:
    make_user("gp1", "gp", "Y90001", password=PASSWORD)
    client.get("/login")
    response = client.post("/login", data={"username": "gp1", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403
    assert "did not come from joinedup" in response.text
    assert client.post("/login", data={"username": "gp1", "password": PASSWORD}).status_code == 403


def test_the_right_password_signs_in_and_lands_by_role(client: TestClient, make_user: MakeUser) -> None:
    make_user("admin1", "administrator", password=PASSWORD)
    response = log_in(client, "admin1")
    assert response.status_code == 303 and response.headers["location"] == "/access/users"
    cookie = response.headers["set-cookie"]
    assert (
        cookie.startswith(f"{SESSION_COOKIE}=") and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    )
    page = client.get("/access/users")
    assert page.status_code == 200
    assert "admin1 (administrator)" in page.text and 'action="/logout"' in page.text


def test_log_in_returns_to_the_page_asked_for_but_never_off_site(
    client: TestClient, make_user: MakeUser
) -> None:
    make_user("po1", "privacy officer", password=PASSWORD)
    assert log_in(client, "po1", next="/access/audit?outcome=refused").headers["location"] == (
        "/access/audit?outcome=refused"
    )
    assert log_in(client, "po1", next="//evil.example/").headers["location"] == "/access/break-glass"


def test_repeated_failures_are_throttled_with_a_clear_message(
    client: TestClient, make_user: MakeUser
) -> None:
    make_user("gp1", "gp", "Y90001", password=PASSWORD)
    for _ in range(USERNAME_FAILURE_LIMIT):
        assert log_in(client, "gp1", "wrong").status_code == 401
    throttled = log_in(client, "gp1")
    assert throttled.status_code == 429
    assert "Too many failed log-ins" in throttled.text


def test_logout_ends_the_session_even_for_a_copied_cookie(client: TestClient, make_user: MakeUser) -> None:
    make_user("gp1", "gp", "Y90001", password=PASSWORD)
    log_in(client, "gp1")
    copied = client.cookies[SESSION_COOKIE]
    token = csrf_from(client, "/login")
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=true"
    assert "You have logged out" in client.get("/login?signed_out=true").text
    client.cookies.set(SESSION_COOKIE, copied)
    again = client.get("/access/users", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_an_administrator_adds_users_and_mistakes_are_named(client: TestClient, make_user: MakeUser) -> None:
    make_user("admin1", "administrator", password=PASSWORD)
    log_in(client, "admin1")
    form = {
        "username": "nurse7",
        "display_name": "Nurse Seven",
        "role": "virtual-ward nurse",
        "organisation_ods": "RT5",
        "team_ids": "vw-north, vw-south",
        "password": "first-password",
    }
    added = client.post(
        "/access/users",
        data={**form, "csrf_token": csrf_from(client, "/access/users")},
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == "/access/users?added=nurse7"
    listing = client.get("/access/users?added=nurse7").text
    assert "Added nurse7." in listing and "vw-north, vw-south" in listing
    bad = client.post(
        "/access/users",
        data={
            **form,
            "username": "nurse8",
            "organisation_ods": "ZZZ99",
            "csrf_token": csrf_from(client, "/access/users"),
        },
    )
    assert bad.status_code == 422
    assert "No organisation with ODS code &#39;ZZZ99&#39; in the registry" in bad.text
    assert 'href="#organisation_ods"' in bad.text


def test_a_clinician_cannot_open_the_admin_pages(client: TestClient, make_user: MakeUser) -> None:
    make_user("gp1", "gp", "Y90001", password=PASSWORD)
    log_in(client, "gp1")
    for path in ("/access/users", "/access/break-glass", "/access/audit", "/my-record/access"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "You cannot see this page" in response.text


def test_the_privacy_officer_reviews_the_break_glass_queue(
    client: TestClient, make_user: MakeUser, organisations: Session
) -> None:
    doctor = make_user("doc1", "hospital clinician", "RWE")
    make_user("po1", "privacy officer", password=PASSWORD)
    service.authorise(
        organisations,
        principal=doctor,
        action="read",
        resource_type="Patient",
        patient=PATIENT,
        break_glass_reason="Collapsed at home, family unsure of medication",
    )
    organisations.commit()
    log_in(client, "po1")
    queue = client.get("/access/break-glass")
    assert "Collapsed at home, family unsure of medication" in queue.text
    grant = service.list_break_glass(organisations)[0]
    token = csrf_from(client, "/access/break-glass")
    done = client.post(
        f"/access/break-glass/{grant.id}",
        data={"outcome": "justified", "note": "checked with ED", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "Nothing is waiting for review." in page and "checked with ED" in page


def test_the_audit_search_finds_by_patient_and_names_bad_input(
    client: TestClient, make_user: MakeUser, organisations: Session
) -> None:
    gp = make_user("gp1", "gp", "Y90001")
    make_user("po1", "privacy officer", password=PASSWORD)
    service.authorise(
        organisations, principal=gp, action="read", resource_type="Patient", resource_id="p1", patient=PATIENT
    )
    organisations.commit()
    log_in(client, "po1")
    found = client.get("/access/audit", params={"nhs_number": "999 000 0018"})
    assert found.status_code == 200 and "read Patient/p1" in found.text
    bad = client.get("/access/audit", params={"date_from": "31/02/2026", "nhs_number": "123"})
    assert bad.status_code == 422
    assert "Enter a real date" in bad.text and "An NHS number has 10 digits" in bad.text


def test_a_patient_sees_who_looked_and_why(
    client: TestClient, make_user: MakeUser, organisations: Session
) -> None:
    gp = make_user("gp1", "gp", "Y90001", display_name="Dr Asha Shah")
    doctor = make_user("doc1", "hospital clinician", "RWE", display_name="Dr Ben Cole")
    make_user("pt1", "patient", nhs_number="9990000018", password=PASSWORD)
    service.authorise(organisations, principal=gp, action="read", resource_type="Patient", patient=PATIENT)
    service.authorise(
        organisations,
        principal=doctor,
        action="read",
        resource_type="Observation",
        patient=PATIENT,
        break_glass_reason="Unconscious in ED",
    )
    organisations.commit()
    assert log_in(client, "pt1").headers["location"] == "/my-record/access"
    page = client.get("/my-record/access").text
    assert "Dr Asha Shah" in page and "Test Practice One" in page
    assert "Dr Ben Cole" in page and "Emergency access" in page and "break-glass: Unconscious in ED" in page
    assert "this access log" not in client.get("/my-record/access").text


def test_a_clinician_breaks_glass_from_a_page_and_returns_to_the_record(
    client: TestClient, make_user: MakeUser, organisations: Session
) -> None:
    make_user("doc1", "hospital clinician", "RWE", password=PASSWORD)
    log_in(client, "doc1")
    form = client.get("/access/break-glass/new?nhs_number=9990000018&next=/record/patients/9990000018")
    assert form.status_code == 200 and "You are not recorded as caring for this patient" in form.text
    token = csrf_from(client, "/access/break-glass/new")
    data = {
        "nhs_number": "9990000018",
        "reason": "",
        "next": "/record/patients/9990000018",
        "csrf_token": token,
    }
    empty = client.post("/access/break-glass/new", data=data)
    assert empty.status_code == 422 and "Say why you need to see this record now" in empty.text
    done = client.post(
        "/access/break-glass/new", data={**data, "reason": "Anaphylaxis in clinic"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/record/patients/9990000018"
    grant = service.list_break_glass(organisations)[0]
    assert (grant.username, grant.reason) == ("doc1", "Anaphylaxis in clinic")


def test_non_clinical_staff_cannot_break_glass(client: TestClient, make_user: MakeUser) -> None:
    make_user("an1", "analyst", password=PASSWORD)
    log_in(client, "an1")
    assert client.get("/access/break-glass/new").status_code == 403

"""Logging a TestClient into the staff console (the login form's CSRF cookie included)."""

from __future__ import annotations

import re
import uuid

from fastapi.testclient import TestClient

from bot.casework.accounts import Accounts
from bot.casework.store import CaseStore

PASSWORD = "correct horse battery"
_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF_RE.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def make_user(
    store: CaseStore, role: str, department: str | None = None, name: str | None = None
) -> str:
    username = f"{role}-{uuid.uuid4().hex[:6]}"
    Accounts(store).create_user(
        username, PASSWORD, role=role, department=department, display_name=name or username
    )
    return username


def login(
    client: TestClient,
    store: CaseStore,
    role: str = "office",
    department: str | None = None,
    name: str | None = None,
) -> str:
    """Creates a user with `role`, logs `client` in, and returns the session's CSRF token."""
    username = make_user(store, role, department, name)
    page = client.get("/console/login")
    assert page.status_code == 200
    response = client.post(
        "/console/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/console",
        },
    )
    assert response.status_code == 200, response.text
    assert "退出" in response.text
    return csrf_of(response.text)

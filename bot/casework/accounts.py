"""Staff accounts and console sessions: scrypt password hashes, server-side sessions, CSRF tokens.

Sessions live in the database (the cookie carries a random token, the table only its SHA-256),
so logging out or disabling an account takes effect at once. Each session has its own CSRF
token that every state-changing form must send back.

Password guessing is slowed down by bot/casework/throttle.py: per client address and per
account, with growing waits and no lock. A browser that logged in to the account before (a
"known device" cookie) is counted on its own gate instead of the account's, so someone guessing
from elsewhere cannot keep the member out. Every answer costs one scrypt check, throttled or
not, known user or not, so timing tells nothing either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot import texts
from bot.casework.models import StaffSession, StaffUser, utcnow
from bot.casework.routing import departments
from bot.casework.store import CaseStore
from bot.casework.throttle import Gate, KnownDevice, Throttle
from bot.exceptions import InvalidReport, NotAuthorized

logger = logging.getLogger(__name__)

Role = Literal["office", "department", "leader"]
#: Role code → the label staff see (staff.yml casework.accounts.roles).
ROLES: dict[str, str] = texts.table("staff", "casework.accounts.roles")

# scrypt parameters: ~16 MiB and a few tens of milliseconds per check on a small server.
_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 8
#: A known browser is forgotten after this long without a login.
DEVICE_DAYS = 90
#: Stands for a user name that is no account, in the audit (people type passwords there too).
UNKNOWN_USER = "<unknown>"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


#: Checked against when the user does not exist, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidReport(
            texts.text("staff", "casework.accounts.short_password", min_length=MIN_PASSWORD)
        )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class LoginThrottled(NotAuthorized):
    """Too many failed logins from this address or on this account: the password was not
    checked; `wait_s` says when the next try is taken."""

    http_status = 429

    def __init__(self, message: str, wait_s: int) -> None:
        super().__init__(message)
        self.wait_s = wait_s


@dataclass(frozen=True)
class Login:
    """A successful login: the session token, and the browser's known-device token."""

    token: str
    device: str


@dataclass(frozen=True)
class StaffMember:
    """The logged-in user as the console sees them."""

    id: int
    username: str
    display_name: str
    role: Role
    department: str | None
    csrf_token: str

    @property
    def actor(self) -> str:
        """How the audit trail names this person."""
        return texts.text(
            "staff", "casework.accounts.actor", name=self.display_name, username=self.username
        )

    @property
    def role_label(self) -> str:
        return ROLES[self.role]


class Accounts:
    """Creating users, logging in and out, resolving a session cookie."""

    def __init__(self, store: CaseStore, *, session_hours: float = 10.0) -> None:
        self.store = store
        self.session_lifetime = timedelta(hours=session_hours)

    def create_user(
        self,
        username: str,
        password: str,
        *,
        role: str,
        display_name: str | None = None,
        department: str | None = None,
    ) -> int:
        username = username.strip()
        if not username or len(username) > 64:
            raise InvalidReport(texts.text("staff", "casework.accounts.bad_username"))
        if role not in ROLES:
            raise InvalidReport(
                texts.text("staff", "casework.accounts.bad_role", roles=", ".join(ROLES))
            )
        if role == "department" and department not in departments():
            raise InvalidReport(
                texts.text(
                    "staff",
                    "casework.accounts.bad_department",
                    departments="、".join(departments()),
                )
            )
        _check_password(password)
        try:
            with self.store.transaction() as s:
                user = StaffUser(
                    username=username,
                    display_name=(display_name or username).strip()[:64],
                    role=role,
                    department=department if role == "department" else None,
                    password_hash=hash_password(password),
                    active=True,
                    created_at=utcnow(),
                )
                s.add(user)
                s.flush()
                return int(user.id)
        except IntegrityError as exc:
            raise InvalidReport(
                texts.text("staff", "casework.accounts.username_taken", username=username)
            ) from exc

    def set_password(self, username: str, password: str) -> None:
        _check_password(password)
        with self.store.transaction() as s:
            user = s.execute(
                select(StaffUser).where(StaffUser.username == username)
            ).scalar_one_or_none()
            if user is None:
                raise InvalidReport(
                    texts.text("staff", "casework.accounts.no_user", username=username)
                )
            user.password_hash = hash_password(password)
            s.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
            s.execute(delete(KnownDevice).where(KnownDevice.user_id == user.id))

    def login(
        self,
        username: str,
        password: str,
        *,
        client: str = "",
        device: str | None = None,
        now: datetime | None = None,
    ) -> Login:
        """A new session for the cookie; NotAuthorized (no detail why) on any failure, and
        LoginThrottled while this address, account or browser must wait.

        `client` is the client's address (bot/web/deps.py), `device` the browser's known-device
        cookie, if it sent one.
        """
        now = now or utcnow()
        name = username.strip()
        with self.store.transaction() as s:
            user = s.execute(
                select(StaffUser).where(StaffUser.username == name)
            ).scalar_one_or_none()
            known = (
                s.get(KnownDevice, _token_hash(device))
                if device and 20 <= len(device) <= 100 and device.isascii()
                else None
            )
            stored_hash = user.password_hash if user else _DUMMY_HASH
            user_id, active, role = (user.id, user.active, user.role) if user else (None, False, "")
        known_here = (
            known is not None
            and known.user_id == user_id
            and known.last_used_at > now - timedelta(days=DEVICE_DAYS)
        )
        gates = [Gate("login_address", client)]
        if known_here and known is not None:
            gates.append(Gate("login_device", known.token_hash))
        else:
            gates.append(Gate("login_account", name.casefold()))
        throttle = Throttle(self.store, clock=lambda: now)
        subject = name[:64] if user_id is not None else UNKNOWN_USER
        verdict = throttle.attempt(gates, kind="login", subject=subject, source=client or None)
        if not verdict.allowed:
            verify_password(password, _DUMMY_HASH)  # as long as a real check
            logger.warning("console login refused: %s must wait %ss", verdict.scope, verdict.wait_s)
            raise LoginThrottled(
                texts.text("staff", "security.login.throttled"), wait_s=verdict.wait_s
            )
        ok = verify_password(password, stored_hash)
        if user_id is None or not ok or not active:
            throttle.failed(gates, kind="login", subject=subject, source=client or None)
            logger.warning("console login failed")
            raise NotAuthorized(texts.text("staff", "casework.accounts.login_failed"))
        throttle.succeeded(gates)
        token = secrets.token_urlsafe(32)
        device_token = device if known_here and device else secrets.token_urlsafe(32)
        with self.store.transaction() as s:
            s.execute(delete(StaffSession).where(StaffSession.expires_at < now))
            s.execute(
                delete(KnownDevice).where(
                    KnownDevice.user_id == user_id,
                    KnownDevice.last_used_at < now - timedelta(days=DEVICE_DAYS),
                )
            )
            s.add(
                StaffSession(
                    token_hash=_token_hash(token),
                    user_id=user_id,
                    csrf_token=secrets.token_urlsafe(24),
                    created_at=now,
                    expires_at=now + self.session_lifetime,
                )
            )
            seen = s.get(KnownDevice, _token_hash(device_token))
            if seen is None:
                s.add(
                    KnownDevice(
                        token_hash=_token_hash(device_token),
                        user_id=user_id,
                        created_at=now,
                        last_used_at=now,
                    )
                )
            else:
                seen.last_used_at = now
        logger.info("console login user_id=%s role=%s", user_id, role)
        return Login(token=token, device=device_token)

    def logout(self, token: str) -> None:
        with self.store.transaction() as s:
            s.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))

    def resolve(self, token: str | None, *, now: datetime | None = None) -> StaffMember | None:
        """The member behind a session cookie, or None when it is unknown, expired or disabled."""
        if not token or len(token) > 100:
            return None
        now = now or utcnow()
        with self.store.transaction() as s:
            row = s.execute(
                select(StaffSession, StaffUser)
                .join(StaffUser, StaffUser.id == StaffSession.user_id)
                .where(StaffSession.token_hash == _token_hash(token))
            ).one_or_none()
            if row is None:
                return None
            sess, user = row
            if sess.expires_at < now or not user.active:
                return None
            return StaffMember(
                id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=user.role,  # type: ignore[arg-type]
                department=user.department,
                csrf_token=sess.csrf_token,
            )

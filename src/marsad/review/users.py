"""Users, roles and what each role may do; sessions, API tokens, login limits.

Roles (docs/team.md):

* **viewer** -- reads the queue, items (media blurred), accounts, the census
  and the network; decides nothing;
* **reviewer** -- a viewer who claims and decides items, writes notes and
  reveals media;
* **lead** -- a reviewer who decides escalated items and bulk decisions,
  refers confirmed items to platforms and records their answers;
* **auditor** -- reads everything a viewer does plus the audit log and its
  export; decides nothing;
* **admin** -- everything, including users, roles and settings.

Passwords are stored as argon2id hashes (argon2-cffi's defaults).  Session
and API tokens are 256-bit random values; only their SHA-256 is stored, so a
copy of the database gives no way in.  Failed logins are counted per user
name and per client address: more than :data:`MAX_FAILURES` in
:data:`FAILURE_WINDOW` refuses further attempts until the window passes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from marsad.errors import Conflict, Forbidden, NotFound, ReviewError, TooManyAttempts, Unauthorized
from marsad.review import audit
from marsad.review.db import ReviewDB, now_iso

__all__ = [
    "FAILURE_WINDOW",
    "MAX_FAILURES",
    "PERMISSIONS",
    "ROLES",
    "SESSION_HOURS",
    "User",
    "Users",
    "can",
]

ROLES = ("admin", "lead", "reviewer", "viewer", "auditor")

#: what each action needs: the roles allowed
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "decide": frozenset({"admin", "lead", "reviewer"}),
    "reveal": frozenset({"admin", "lead", "reviewer"}),
    "decide_escalated": frozenset({"admin", "lead"}),
    "bulk": frozenset({"admin", "lead"}),
    "sync": frozenset({"admin", "lead"}),
    # referrals to platforms and their states (marsad.act): a lead's work
    "refer": frozenset({"admin", "lead"}),
    "audit": frozenset({"admin", "auditor"}),
    "admin": frozenset({"admin"}),
}

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
SESSION_HOURS = 12
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 12


def can(role: str, action: str) -> bool:
    return role in PERMISSIONS[action]


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str

    def require(self, action: str) -> None:
        if not can(self.role, action):
            raise Forbidden(f"{self.name} ({self.role}) may not {action.replace('_', ' ')}")


#: the actor of changes made at the command line, not by a logged-in user
CONSOLE = User("console", "admin")


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


class Users:
    """User accounts, sessions and tokens in a :class:`ReviewDB`."""

    def __init__(self, db: ReviewDB) -> None:
        self.db = db
        self._ph = _hasher()
        # a hash to verify against when the user does not exist, so a
        # login takes as long for a wrong name as for a wrong password
        self._dummy = self._ph.hash(secrets.token_hex(8))

    # -- accounts ----------------------------------------------------------
    def add(self, actor: User, name: str, role: str, password: str) -> User:
        actor.require("admin")
        if not _NAME.match(name):
            raise ReviewError(f"user name {name!r}: 1-64 letters, digits and . _ @ - (no spaces)")
        if role not in ROLES:
            raise ReviewError(f"role {role!r}: one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise ReviewError(f"a password needs at least {MIN_PASSWORD} characters")
        with self.db.write() as w:
            if w.one("SELECT name FROM users WHERE name = ?", [name]):
                raise Conflict(f"user {name} exists")
            w.run(
                "INSERT INTO users (name, role, password_hash, disabled, created_at) "
                "VALUES (?, ?, ?, 0, ?)",
                [name, role, self._ph.hash(password), now_iso()],
            )
            audit.append(w, actor.name, "user.add", name, {"role": role})
        return User(name, role)

    def list(self) -> list[dict[str, Any]]:
        return self.db.rows("SELECT name, role, disabled, created_at FROM users ORDER BY name")

    def get(self, name: str) -> User:
        row = self.db.one("SELECT name, role, disabled FROM users WHERE name = ?", [name])
        if row is None or row["disabled"]:
            raise NotFound(f"no user {name}")
        return User(row["name"], row["role"])

    def set_role(self, actor: User, name: str, role: str) -> None:
        actor.require("admin")
        if role not in ROLES:
            raise ReviewError(f"role {role!r}: one of {', '.join(ROLES)}")
        with self.db.write() as w:
            row = w.one("SELECT role FROM users WHERE name = ?", [name])
            if row is None:
                raise NotFound(f"no user {name}")
            w.run("UPDATE users SET role = ? WHERE name = ?", [role, name])
            audit.append(w, actor.name, "user.role", name, {"from": row["role"], "to": role})

    def set_disabled(self, actor: User, name: str, disabled: bool) -> None:
        actor.require("admin")
        with self.db.write() as w:
            if w.run("UPDATE users SET disabled = ? WHERE name = ?", [int(disabled), name]) == 0:
                raise NotFound(f"no user {name}")
            if disabled:
                w.run("DELETE FROM sessions WHERE user_name = ?", [name])
                w.run("UPDATE api_tokens SET revoked = 1 WHERE user_name = ?", [name])
            audit.append(w, actor.name, "user.disable" if disabled else "user.enable", name)

    def set_password(self, actor: User, name: str, password: str) -> None:
        if actor.name != name:
            actor.require("admin")
        if len(password) < MIN_PASSWORD:
            raise ReviewError(f"a password needs at least {MIN_PASSWORD} characters")
        with self.db.write() as w:
            if (
                w.run(
                    "UPDATE users SET password_hash = ? WHERE name = ?",
                    [self._ph.hash(password), name],
                )
                == 0
            ):
                raise NotFound(f"no user {name}")
            w.run("DELETE FROM sessions WHERE user_name = ?", [name])
            audit.append(w, actor.name, "user.password", name)

    # -- logging in ----------------------------------------------------------
    def _failures(self, subject: str) -> int:
        since = now_iso(datetime.now(UTC) - FAILURE_WINDOW)
        return int(
            self.db.value(
                "SELECT count(*) FROM login_failures WHERE subject = ? AND at > ?",
                [subject, since],
            )
            or 0
        )

    def login(self, name: str, password: str, client: str = "") -> tuple[User, str, str]:
        """Check a password; returns (user, session token, CSRF token).

        Raises :class:`TooManyAttempts` when the name or the client has
        failed too often lately, :class:`Unauthorized` for a wrong name or
        password (the same message for both)."""
        subjects = ["user:" + name[:64]] + (["client:" + client] if client else [])
        if any(self._failures(s) >= MAX_FAILURES for s in subjects):
            raise TooManyAttempts("too many failed logins: wait 15 minutes")
        row = self.db.one(
            "SELECT name, role, password_hash, disabled FROM users WHERE name = ?", [name]
        )
        ok = False
        try:
            ok = self._ph.verify(row["password_hash"] if row else self._dummy, password)
        except Exception:  # noqa: BLE001 - argon2's mismatch and invalid-hash errors
            ok = False
        if row is None or row["disabled"] or not ok:
            with self.db.write() as w:
                for s in subjects:
                    w.run("INSERT INTO login_failures (subject, at) VALUES (?, ?)", [s, now_iso()])
                audit.append(w, name[:64] or "-", "login.failed", "", {"client": client})
            raise Unauthorized("wrong user name or password")
        user = User(row["name"], row["role"])
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.db.write() as w:
            w.run(
                "INSERT INTO sessions (token_hash, user_name, csrf, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    _hash_token(token),
                    user.name,
                    csrf,
                    now_iso(now),
                    now_iso(now + timedelta(hours=SESSION_HOURS)),
                ],
            )
            w.run("DELETE FROM sessions WHERE expires_at < ?", [now_iso(now)])
            w.run("DELETE FROM login_failures WHERE at < ?", [now_iso(now - FAILURE_WINDOW)])
            if self._ph.check_needs_rehash(row["password_hash"]):
                w.run(
                    "UPDATE users SET password_hash = ? WHERE name = ?",
                    [self._ph.hash(password), user.name],
                )
            audit.append(w, user.name, "login", "", {"client": client})
        return user, token, csrf

    def session(self, token: str) -> tuple[User, str] | None:
        """The user and CSRF token of a live session, or None."""
        row = self.db.one(
            "SELECT u.name, u.role, u.disabled, s.csrf, s.expires_at FROM sessions s "
            "JOIN users u ON u.name = s.user_name WHERE s.token_hash = ?",
            [_hash_token(token)],
        )
        if row is None or row["disabled"] or row["expires_at"] < now_iso():
            return None
        return User(row["name"], row["role"]), row["csrf"]

    def logout(self, token: str) -> None:
        with self.db.write() as w:
            row = w.one("SELECT user_name FROM sessions WHERE token_hash = ?", [_hash_token(token)])
            if row is None:
                return
            w.run("DELETE FROM sessions WHERE token_hash = ?", [_hash_token(token)])
            audit.append(w, row["user_name"], "logout")

    # -- API tokens ----------------------------------------------------------
    def new_token(self, actor: User, name: str, label: str) -> str:
        """A new API token for user *name* (shown once; only its hash is kept)."""
        if actor.name != name:
            actor.require("admin")
        self.get(name)
        token = "msd_" + secrets.token_urlsafe(32)
        with self.db.write() as w:
            w.run(
                "INSERT INTO api_tokens (token_hash, user_name, label, created_at, revoked) "
                "VALUES (?, ?, ?, ?, 0)",
                [_hash_token(token), name, label[:200], now_iso()],
            )
            audit.append(w, actor.name, "token.add", name, {"label": label[:200]})
        return token

    def token_user(self, token: str) -> User | None:
        row = self.db.one(
            "SELECT u.name, u.role, u.disabled FROM api_tokens t "
            "JOIN users u ON u.name = t.user_name WHERE t.token_hash = ? AND t.revoked = 0",
            [_hash_token(token)],
        )
        if row is None or row["disabled"]:
            return None
        return User(row["name"], row["role"])


def new_password() -> str:
    """A random password for a new user (e.g. ``marsad serve --demo``'s admin)."""
    return secrets.token_urlsafe(18)

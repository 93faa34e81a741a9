# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import hmac

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT

# (database, key row id, stored hash) -> sha256 of the key that matched it. Verifying a key against its stored
# pbkdf2 hash costs milliseconds; a key already verified against the same stored hash needs no second
# verification. The row is read on every request, so a revoked or expired key fails at once.
_VERIFIED = {}
_VERIFIED_MAX = 1000
# The scope of the keys made for the intake API (core's ``_check_credentials(scope='rpc')`` matches only keys
# without a scope or with 'rpc': XML-RPC, JSON-RPC and the web login refuse these keys), and the only scope the
# intake API takes.
INTAKE_SCOPE = "lead_management_intake"


class ResUsersApikeys(models.Model):
    _inherit = "res.users.apikeys"

    @api.model
    def _lead_intake_key_valid(self, key_id, user_id):
        """Whether the intake key ``key_id`` of ``user_id`` still opens the API (not revoked, not expired)."""
        self.env.cr.execute(SQL("""
            SELECT 1 FROM res_users_apikeys
             WHERE id = %s AND user_id = %s AND scope = %s
               AND (expiration_date IS NULL OR expiration_date >= NOW() AT TIME ZONE 'utc')
        """, key_id, user_id, INTAKE_SCOPE))
        return bool(self.env.cr.fetchone())

    @api.model
    def _lead_intake_authenticate(self, key):
        """(key id, user id, user's language) of a valid intake API key ``key`` (scope INTAKE_SCOPE), of an
        active user, not expired: core's ``_check_credentials`` for that scope, that also says which key it was (the
        rate limit counts per key). A user's ordinary key (no scope, or rpc) is not an intake key."""
        if not key or len(key) < INDEX_SIZE or "\x00" in key:  # PostgreSQL takes no NUL in a string
            return None
        self.env.cr.execute(SQL("""
            SELECT k.id, k.user_id, k.key, p.lang
              FROM res_users_apikeys k
              JOIN res_users u ON u.id = k.user_id
              JOIN res_partner p ON p.id = u.partner_id
             WHERE u.active AND k.index = %s AND k.scope = %s
               AND (k.expiration_date IS NULL OR k.expiration_date >= NOW() AT TIME ZONE 'utc')
        """, key[:INDEX_SIZE], INTAKE_SCOPE))
        digest = hashlib.sha256(key.encode()).hexdigest()
        for key_id, user_id, stored, lang in self.env.cr.fetchall():
            cache_key = (self.env.cr.dbname, key_id, stored)
            known = _VERIFIED.get(cache_key)
            if known is not None:
                if hmac.compare_digest(known, digest):
                    return key_id, user_id, lang
                continue
            if KEY_CRYPT_CONTEXT.verify(key, stored):
                if len(_VERIFIED) >= _VERIFIED_MAX:
                    _VERIFIED.clear()
                _VERIFIED[cache_key] = digest
                return key_id, user_id, lang
        return None

    @api.model
    def _lead_intake_demo_key(self, login, key, name):
        """Demo data only: give the user ``login`` the intake API key ``key``, so that the README's curl examples
        work against a demo database. A real key is generated (New Intake API Key on the user's form), never
        chosen."""
        user = self.env["res.users"].sudo().search([("login", "=", login)], limit=1)
        if not user or self.sudo().search_count([("user_id", "=", user.id), ("name", "=", name)]):
            return
        self.env.cr.execute(SQL(
            "INSERT INTO res_users_apikeys (name, user_id, scope, key, index) VALUES (%s, %s, %s, %s, %s)",
            name, user.id, INTAKE_SCOPE, KEY_CRYPT_CONTEXT.hash(key), key[:INDEX_SIZE]))

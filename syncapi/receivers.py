"""Signal receivers: a user's device tokens are revoked when their password changes or they are
deactivated, whatever saves the user (admin, `set_password` + `save`, `manage.py changepassword`).

The receivers only compare the stored row with the one being saved; `tokens_revoke_for_user` does
the work. Any new password hash counts, so Django re-hashing a password at sign-in (after a change
of hasher settings) also ends the other devices' sessions, as it ends Django's own sessions. A
queryset `update()` sends no signal: a deactivated user's tokens are refused all the same
(`token_get_active` checks `is_active`, of a cached user after at most TOKEN_CACHE_SECONDS), but a
password set that way revokes nothing. Any other save of a user, and any change to a token, makes
their cached tokens stale (syncapi.tokens).
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from syncapi.models import DeviceToken
from syncapi.tokens import tokens_forget, tokens_forget_for_user, tokens_revoke_for_user

# The user fields whose change ends every device session (a custom user model may lack is_active).
_WATCHED = ("password", "is_active")
# Set on the instance between pre_save and post_save: the save revokes the user's tokens.
_REVOKE = "_syncapi_revoke_tokens"


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="syncapi_user_credentials_compare")
def _compare_credentials(sender, instance, raw=False, using=None, update_fields=None, **kwargs):
    if raw or instance._state.adding:
        return
    fields = [f.name for f in sender._meta.concrete_fields if f.name in _WATCHED]
    if update_fields is not None:
        fields = [name for name in fields if name in update_fields]
    if not fields:
        return
    before = sender._base_manager.using(using).filter(pk=instance.pk).values(*fields).first()
    if before is None:
        return
    password_changed = "password" in before and before["password"] != instance.password
    deactivated = bool(before.get("is_active")) and not instance.is_active
    if password_changed or deactivated:
        setattr(instance, _REVOKE, True)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="syncapi_user_credentials_revoke")
def _revoke_after_credential_change(sender, instance, update_fields=None, **kwargs):
    # After the row is written, in the same transaction: a failed save revokes nothing.
    if instance.__dict__.pop(_REVOKE, False):
        tokens_revoke_for_user(user=instance)
    elif update_fields is None or set(update_fields) - {"last_login"}:
        tokens_forget_for_user(user=instance)  # cached tokens hold the user as it was


@receiver(post_save, sender=DeviceToken, dispatch_uid="syncapi_token_changed")
@receiver(post_delete, sender=DeviceToken, dispatch_uid="syncapi_token_deleted")
def _forget_changed_token(sender, instance, created=False, **kwargs):
    """A token edited in the admin or deleted (with its user, say) is read from the database again."""
    if not created:
        tokens_forget([instance.token_hash])

"""DRF authentication by `Authorization: Bearer <device token>`."""

from rest_framework import authentication

from syncapi.errors import InvalidToken
from syncapi.tokens import token_get_active


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise InvalidToken()
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise InvalidToken() from exc
        token = token_get_active(raw=raw)
        if token is None:
            raise InvalidToken()
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'

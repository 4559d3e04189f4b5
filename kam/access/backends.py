"""Login lock-out: django-axes' backend, for logins that come through a web request."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a login while its user name and address are locked out (settings.AXES_*).

    Logins without a request (management commands, the test client's login()) are not counted:
    the lock-out guards the login page, which always passes its request.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

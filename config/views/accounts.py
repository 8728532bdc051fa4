"""Sign-in, sign-out and the profile page with API tokens."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from studio import login_limits
from studio.models import ApiToken
from studio.roles import check_admin


class LoginView(auth_views.LoginView):
    """The sign-in form; too many failed sign-ins for a username or from an address answer 429
    with the time to wait (`studio.login_limits`)."""

    template_name = "studio/login.html"
    redirect_authenticated_user = True
    attempt: login_limits.LoginAttempt | None = None

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if username and request.POST.get("password"):
            self.attempt = login_limits.begin(request, username)
            if self.attempt.refused:
                return self._refused(username, self.attempt.wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if self.attempt is not None:
            self.attempt.succeeded()
        return super().form_valid(form)

    def _refused(self, username: str, wait: int):
        until = timezone.localtime(timezone.now() + timedelta(seconds=wait))
        form = self.form_class(self.request, initial={"username": username})
        context = self.get_context_data(
            form=form, refused_wait=login_limits.wait_text(wait), refused_until=until
        )
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(wait)
        return response


class TokenForm(forms.Form):
    """Names a new API token."""

    name = forms.CharField(
        max_length=100,
        help_text="What the token is for, e.g. 'laptop CLI' or 'nightly CI'.",
        widget=forms.TextInput(attrs={"placeholder": "laptop CLI", "autocomplete": "off"}),
    )


def profile(request):
    """The signed-in user's account and API tokens; a new token's secret is shown once."""
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        token, new_token = ApiToken.issue(request.user, form.cleaned_data["name"])
        messages.success(request, f"Token “{token.name}” created. Copy it now: it is not shown again.")
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "studio/profile.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
        status=400 if form.errors else 200,
    )


@require_POST
def revoke_token(request, token_id: int):
    """Revoke one of the signed-in user's tokens."""
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token.revoke()
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("studio:profile")


def admin_login(request):
    """Where the Django admin sends whoever it does not let in (/admin/login/). Someone not signed
    in never gets here (LoginRequiredMiddleware sends them to our sign-in form); an Admin goes on
    to `next`; anyone else is refused with 403 and the reason. (A redirect back to /admin/ sent a
    signed-in Member or Viewer round in a loop: the admin redirects them straight back here.)"""
    if request.user.is_active and request.user.is_staff:
        target = request.GET.get("next", "")
        safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
        return redirect(target if safe and target else "/admin/")
    check_admin(request.user, "use the Django admin (/admin/)")
    return redirect("/admin/")  # not reached: check_admin refuses everyone but an Admin

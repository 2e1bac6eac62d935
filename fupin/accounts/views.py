"""Sign-in pages and the user's API tokens."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import services


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    new_token = None
    if request.method == "POST":
        if "revoke" in request.POST:
            services.revoke_token(request.user, request.POST.get("revoke", ""))
            messages.success(request, "令牌已撤销")
            return redirect("accounts:tokens")
        name = (request.POST.get("name") or "").strip()
        if not name:
            messages.error(request, "请填写令牌名称")
        else:
            _, new_token = services.issue_token(request.user, name=name[:100])
    return render(request, "accounts/tokens.html", {"tokens": request.user.api_tokens.filter(revoked=False), "new_token": new_token})

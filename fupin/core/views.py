"""The front door: each signed-in user goes to the page made for their role, others to the login page.

core sits below accounts, so the roles are spelled as their stored values here.
"""
from django.shortcuts import redirect

# Roles that read no region's households land where their work is.
ROLE_HOME = {
    "helper": "assistance:my_households",   # 帮扶责任人: the households paired to them
    "liaison": "monitoring:check_list",     # 部门联络员: the cross-check lists they upload
}


def home(request):
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if not user.is_superuser and user.role in ROLE_HOME:
        return redirect(ROLE_HOME[user.role])
    if user.scope_prefix is None:
        # Signed in without a role or region: nothing in the registry is theirs yet.
        return redirect("admin:index" if user.is_staff else "disclosure:notice_list")
    return redirect("registry:household_list")

"""The front door: signed-in users go to their household list, others to the login page."""
from django.shortcuts import redirect


def home(request):
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return redirect("registry:household_list")

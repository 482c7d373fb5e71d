from django.conf import settings

from .access import current_membership, memberships


def console(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"embedded": settings.EMBEDDED}
    return {
        "embedded": settings.EMBEDDED,
        "membership": current_membership(request),
        "all_memberships": memberships(request.user),
    }

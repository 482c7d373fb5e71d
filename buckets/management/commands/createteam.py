"""`manage.py createteam NAME --admin USERNAME`: a team and its first admin, from a shell.

The same as the site admins' Teams page, for a fresh installation or a script. The user
must exist (`manage.py createsuperuser` or the admin site make one).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from buckets import audit
from buckets.models import Membership, Role, Team


class Command(BaseCommand):
    help = "Create a team with an existing user as its first admin."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The team's name (unique, case-insensitively).")
        parser.add_argument("--admin", required=True, metavar="USERNAME", help="An existing user who becomes the team's admin.")

    def handle(self, *args, name: str, admin: str, **options):
        name = name.strip()
        if not name:
            raise CommandError("The team needs a name.")
        if Team.objects.filter(name__iexact=name).exists():
            raise CommandError(f"A team named {name!r} exists already.")
        user = get_user_model().objects.filter(username=admin).first()
        if user is None:
            raise CommandError(f"There is no user {admin!r}; create it first (manage.py createsuperuser).")
        with transaction.atomic():
            team = Team.objects.create(name=name)
            Membership.objects.create(user=user, team=team, role=Role.ADMIN)
            audit.record(None, "team.create", team=team, first_admin=user.username, via="manage.py createteam")
        self.stdout.write(self.style.SUCCESS(f"Team {team.name!r} (#{team.pk}) created with {user.username} as admin."))

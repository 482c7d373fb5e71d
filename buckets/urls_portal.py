"""Team self-service: teams and members, sharing connections, the audit log."""

from django.urls import path

from .views import audit_log, teams

urlpatterns = [
    path("team/", teams.my_team, name="team"),
    path("teams/", teams.site_teams, name="site_teams"),
    path("teams/<int:team_id>/", teams.team_detail, name="team_detail"),
    path("teams/<int:team_id>/members/add/", teams.member_add, name="member_add"),
    path("teams/<int:team_id>/members/<int:membership_id>/role/", teams.member_role, name="member_role"),
    path("teams/<int:team_id>/members/<int:membership_id>/remove/", teams.member_remove, name="member_remove"),
    path("teams/<int:team_id>/options/", teams.team_options, name="team_options"),
    path("c/<int:connection_id>/grants/", teams.grant_list, name="grants"),
    path("c/<int:connection_id>/grants/new/", teams.grant_create, name="grant_create"),
    path("c/<int:connection_id>/grants/<int:grant_id>/", teams.grant_update, name="grant_update"),
    path("c/<int:connection_id>/grants/<int:grant_id>/revoke/", teams.grant_revoke, name="grant_revoke"),
    path("audit/", audit_log.audit_list, name="audit_log"),
    path("audit/export.csv", audit_log.audit_export, name="audit_export"),
    path("audit/<int:entry_id>/", audit_log.audit_entry, name="audit_entry"),
]

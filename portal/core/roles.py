"""The portal's roles (Django groups) and the helpers migrations use to grant them model permissions.

Each app's data migration grants the permissions its models need per role, so the kernel names no app.
Object-level rules (authority to contain, two-person sign-off) live in services, not here.
"""

COMPLIANCE_OFFICER = "compliance officer"
INCIDENT_RESPONDER = "incident responder"
LEGAL_REVIEWER = "legal reviewer"
LEADERSHIP = "leadership"
AUDITOR = "auditor"

ROLES = [COMPLIANCE_OFFICER, INCIDENT_RESPONDER, LEGAL_REVIEWER, LEADERSHIP, AUDITOR]
READ_ONLY_ROLES = [LEGAL_REVIEWER, LEADERSHIP, AUDITOR]

ALL_ACTIONS = ("view", "add", "change", "delete")
READ = ("view",)


def ensure_groups(apps):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def grant_model_permissions(apps, app_label, matrix):
    """Grant `matrix` = {role: {model_name: actions}} for the models of `app_label`.

    Permissions are created first (a data migration runs before `post_migrate` would create them).
    """
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ensure_groups(apps)
    for role, models in matrix.items():
        group = Group.objects.get(name=role)
        for model_name, actions in models.items():
            codenames = [f"{action}_{model_name}" for action in actions]
            perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            found = set(perms.values_list("codename", flat=True))
            missing = set(codenames) - found
            if missing:
                raise LookupError(f"Permissions not found for {app_label}: {sorted(missing)}")
            group.permissions.add(*perms)


def user_roles(user):
    """The role names a user holds (superusers hold every role)."""
    if not user.is_authenticated:
        return set()
    if user.is_superuser:
        return set(ROLES)
    return {g.name for g in user.groups.all()} & set(ROLES)

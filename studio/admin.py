"""Django admin: users and tokens to manage; registered assets to look at, never to edit."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from studio.models import ApiToken, Component, Compute, DataAsset, Environment
from studio.roles import ADMIN, MEMBER, VIEWER, role_of, set_role


class ImmutableAssetAdmin(admin.ModelAdmin):
    """Asset versions are immutable: the admin shows them and can archive them, nothing else."""

    list_display = ("name", "version", "archived", "created_by", "created_at")
    list_filter = ("archived",)
    search_fields = ("name", "description")
    actions = ["archive", "unarchive"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Archive selected versions", permissions=["view"])
    def archive(self, request, queryset) -> None:
        queryset.update(archived=True)

    @admin.action(description="Unarchive selected versions", permissions=["view"])
    def unarchive(self, request, queryset) -> None:
        queryset.update(archived=False)


admin.site.register(Environment, ImmutableAssetAdmin)
admin.site.register(Component, ImmutableAssetAdmin)
admin.site.register(DataAsset, ImmutableAssetAdmin)


@admin.register(Compute)
class ComputeAdmin(admin.ModelAdmin):
    """Computes and their capacity."""

    list_display = ("name", "kind", "state", "max_concurrent_steps", "checked_at")
    readonly_fields = ("state", "state_detail", "checked_at", "engine_info", "discovered", "created_at")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens of every user; an administrator can revoke them, never read them."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "name", "prefix", "key_hash", "created_at", "last_used_at")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset) -> None:
        for token in queryset:
            token.revoke()


class StudioUserAdmin(UserAdmin):
    """Users with their Studio role as a column, and actions that set it (`studio.roles`)."""

    list_display = ("username", "email", "studio_role", "is_active", "last_login")
    actions = ["make_admin", "make_member", "make_viewer"]

    @admin.display(description="Role")
    def studio_role(self, user) -> str:
        return role_of(user) or "inactive"

    def _set(self, request, queryset, role: str) -> None:
        for user in queryset:
            set_role(user, role, by=request.user)
        self.message_user(request, f"{queryset.count()} user(s) are now {role}s.")

    @admin.action(description="Make selected users Admins")
    def make_admin(self, request, queryset) -> None:
        self._set(request, queryset, ADMIN)

    @admin.action(description="Make selected users Members")
    def make_member(self, request, queryset) -> None:
        self._set(request, queryset.exclude(pk=request.user.pk), MEMBER)

    @admin.action(description="Make selected users Viewers (read only)")
    def make_viewer(self, request, queryset) -> None:
        self._set(request, queryset.exclude(pk=request.user.pk), VIEWER)


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), StudioUserAdmin)

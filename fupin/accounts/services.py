"""Account actions: users bound to regions, API tokens."""
from django.db import transaction

from fupin.audit.services import record
from fupin.regions.models import Region, RegionLevel

from .models import ROLE_LEVEL, ApiToken, Role, User


class AccountError(ValueError):
    pass


@transaction.atomic
def create_user(*, by, username: str, password: str, role: str, region_code: str | None, full_name: str = "") -> User:
    """Create a user bound to a region at the level their role works at."""
    if role not in Role.values:
        raise AccountError(f"未知角色：{role}")
    region = None
    if role in ROLE_LEVEL or role == Role.HELPER:
        region = Region.objects.filter(code=region_code or "").first()
        if region is None:
            raise AccountError(f"区划不存在：{region_code}")
        if role == Role.HELPER:
            if region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
                raise AccountError(f"帮扶责任人须绑定到县、乡或村，{region.name}不是")
        elif region.level != ROLE_LEVEL[Role(role)]:
            raise AccountError(f"{Role(role).label}须绑定到{ROLE_LEVEL[Role(role)].label}级区划，{region.name}不是")
    if by is not None and not getattr(by, "is_superuser", False):
        if not (by.role == Role.COUNTY and region and by.in_scope(region.code)):
            raise AccountError("只有县扶贫办或系统管理员可以为本辖区创建用户")
    user = User(username=username, role=role, region=region, full_name=full_name)
    user.set_password(password)
    user.save()
    record(by=by, action="create_user", target=user, scope_code=region.code if region else "",
           changes={"username": [None, username], "role": [None, role], "region": [None, region_code]})
    return user


def issue_token(user: User, *, name: str) -> tuple[ApiToken, str]:
    with transaction.atomic():
        token, raw = ApiToken.issue(user, name)
        record(by=user, action="issue_token", target=token, changes={"name": [None, name]})
    return token, raw


def revoke_token(user: User, token_id: str) -> None:
    with transaction.atomic():
        token = ApiToken.objects.filter(user=user, pk=token_id if str(token_id).isdigit() else 0).first()
        if token and not token.revoked:
            token.revoked = True
            token.save(update_fields=["revoked"])
            record(by=user, action="revoke_token", target=token, changes={"revoked": [False, True]})

"""The seal of each posted notice: the SHA-256 of its canonical list, taken when it was posted, and the
short code printed on the paper (with a QR code) by which anyone can check it on the public site."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeSeal(models.Model):
    notice = models.OneToOneField(
        "procedures.Notice", on_delete=models.CASCADE, related_name="seal", verbose_name=_("公示公告")
    )
    digest = models.CharField(_("名单哈希"), max_length=64)
    code = models.CharField(_("核验码"), max_length=10, unique=True)
    sealed_at = models.DateTimeField(_("封存时间"), default=timezone.now)

    class Meta:
        verbose_name = _("公示核验码")
        verbose_name_plural = _("公示核验码")

    def __str__(self) -> str:
        return self.display_code

    @property
    def display_code(self) -> str:
        return f"{self.code[:5]}-{self.code[5:]}"

# Sourced by the set-up scripts: Debian packages fupin needs (installed when run as root).
#   chromium         browser tests (Playwright drives Debian's build; nothing is downloaded)
#   fonts-noto-cjk   Chinese text in PDFs (handbooks, notices) and screenshots
#   libpango*        WeasyPrint's text layout
#   poppler-utils    pdftotext / pdftoppm, used by tests that read the PDFs back
#   nodejs           runs the field app's offline checks (static/field/rules.js) beside the server's in a test
need=()
want_browser="${1:-}"
if [ "$want_browser" = browser ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
  command -v node >/dev/null 2>&1 || need+=(nodejs)
fi
fc-list 2>/dev/null | grep "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)
ldconfig -p 2>/dev/null | grep "libpangoft2-1.0" >/dev/null || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${need[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "note: Debian packages missing and not root (${need[*]}): install them for PDFs and browser tests" >&2
  fi
fi

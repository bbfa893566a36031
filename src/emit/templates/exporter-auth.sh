# Writes redis_exporter's password file (--redis.password-file): a JSON map from the
# address it scrapes, $REDIS_ADDR as the exporter gets it, to the password in
# @PASSWORD_FILE@. The exporter image has no shell, so this runs in an init container.
set -eu
# The file's bytes as a JSON string: quote, backslash and control bytes as \u00XX.
json_quote() {
  printf '"'
  # shellcheck disable=SC2059 # a byte's octal escape is built as the printf format
  for h in $(od -An -v -tx1 "$1"); do
    case $h in
      22 | 5c | [01]? | 7f) printf '\\u00%s' "$h" ;;
      *) printf "\\$(printf '%03o' "0x$h")" ;;
    esac
  done
  printf '"'
}
umask 077
{
  printf '{"%s": ' "$REDIS_ADDR"
  json_quote @PASSWORD_FILE@
  printf '}\n'
} >@EXPORTER_PASSWORD_FILE@.tmp
mv @EXPORTER_PASSWORD_FILE@.tmp @EXPORTER_PASSWORD_FILE@

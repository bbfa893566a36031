# The password reaches redis-server as config on stdin ("-", read after the config file and
# before the options): not in its arguments, which `ps` shows every user of the pod, nor in
# its environment. Each byte is written as \xHH, so any password survives the config parser.
pw=$(od -An -v -tx1 @PASSWORD_FILE@ | tr -d ' \n' | sed 's/../\\x&/g')
if [ -z "$pw" ]; then
  echo "start: the password file @PASSWORD_FILE@ is empty; Redis does not start without a password" >&2
  exit 1
fi
exec redis-server "$@" - <<EOF
requirepass "$pw"
@MASTERAUTH@EOF

#!/bin/sh
# get_hosts: LDM's hook, installed as /usr/share/ltsp/get_hosts and /usr/lib/ltsp/get_hosts in the
# thin client's chroot. LTSP 5's screen.d/ldm runs LDM_SERVER=$(/usr/share/ltsp/get_hosts) when
# LDM_SERVER is unset and splits the output on spaces; empty output leaves LDM with no server and
# nobody can log in. So this wrapper never prints nothing.
#
# It runs the CommonJS bundle (/usr/share/ltsp-balance/get_hosts.cjs) on the chroot's own Node
# (`node`, or `nodejs` as old Debian and Ubuntu name it). With no arguments (LDM), the bundle's
# output is captured: one fork of this shell and the watchdog, never a second Node. When Node is
# missing, too old, fails, dies on a signal or prints no host, the wrapper prints the fallback: the
# LDM_BALANCE_SERVERS host names from the environment (ltsp_config exported lts.conf there), as
# written, ports dropped; else `server`, LTSP's name for the boot server (its ssh host key is known
# under that name). One line on stderr says why. With arguments (a person), Node just runs.
#
# Only shell built-ins run here, and coreutils' timeout when PATH has it (a watchdog, below).

bundle=/usr/share/ltsp-balance/get_hosts.cjs
# The bundle beside this file's tree, so a copy installed under another root (a chroot seen from
# the server, a test) runs its own bundle: /usr/share/ltsp/ and /usr/lib/ltsp/ are both two levels
# below that tree.
case $0 in
*/*) [ -r "${0%/*}/../../share/ltsp-balance/get_hosts.cjs" ] && bundle=${0%/*}/../../share/ltsp-balance/get_hosts.cjs ;;
esac

# Runs before the bundle, in syntax any Node parses: on a Node too old for the bundle, or a bundle
# that does not load (truncated, unreadable), one clear line and exit 70 instead of a stack trace.
# `node -e CODE BUNDLE ARGS...` leaves process.argv as [node, BUNDLE, ARGS...], what the bundle reads.
# The caller puts `var t="...";` in front: the end of that line, saying what happens next.
#
# The bundle is compiled with vm.Script as Node's require() would wrap it, handing V8 the code cache
# `get_hosts --write-code-cache` wrote (get-hosts/code-cache.ts says why each check is there): used
# only when it is a root-owned file nobody else may write, under <root>/var/cache/ltsp-balance/ for
# the bundle <root>/usr/share/ltsp-balance/get_hosts.cjs, and its header names this Node, this
# architecture and this bundle (the SHA-256 on its last line, its size and mtime). Otherwise, or when
# V8 rejects the data, the bundle is compiled without it. Silent either way, unless
# LTSP_BALANCE_DEBUG is set: then one <7> line says whether the cache was used, and why not.
loader='var v=process.versions.node.split("."),P=require("path"),b=P.resolve(process.argv[1]),F=require("fs"),w="";
if(+v[0]<8||+v[0]==8&&+v[1]<10){console.error("<3>get_hosts: Node.js "+process.version+" is too old (8.10 or newer needed)"+t);process.exit(70)}
function C(s){var r=/\/\/# ltsp-balance-sha256=([0-9a-f]{64})\n?$/.exec(s.slice(-90)),k=/^(.*)\/usr\/share\/ltsp-balance\/get_hosts\.cjs$/.exec(b),f,n,z,h,a;
if(!r||!k){w="none for "+b;return}f=k[1]+"/var/cache/ltsp-balance/get_hosts.cjs.v8cache";w=f+" not used: ";
try{n=F.openSync(f,F.constants.O_RDONLY|F.constants.O_NONBLOCK)}catch(e){w+=e.code;return}
try{z=F.fstatSync(n);if(!z.isFile()||z.uid!==0||z.mode&18||z.size>67108864){w+="not a file only root can write";return}
z=F.statSync(b);h="ltsp-balance-v8cache/1 "+process.version+" "+process.arch+" "+r[1]+" "+z.size+" "+Math.floor(z.mtime.getTime()/1000)+"\n";a=F.readFileSync(n);
if(a.toString("latin1",0,h.length)!==h){w+="written for another bundle or Node.js";return}w=f+" used";return a.slice(h.length)}catch(e){w+=e.message}finally{F.closeSync(n)}}
try{var s=F.readFileSync(b,"utf8"),d=C(s),x=new(require("vm").Script)("(function (exports, require, module, __filename, __dirname) { "+s.replace(/^#!/,"//")+"\n});",{filename:b,cachedData:d}),M=require("module"),m=new M(b,null);
if(d&&x.cachedDataRejected)w=w.replace(/ used$/," not used: V8 rejected it (another V8 build or flags)");if(process.env.LTSP_BALANCE_DEBUG)console.error("<7>get_hosts: code cache "+w);
m.filename=b;m.paths=M._nodeModulePaths(P.dirname(b));x.runInThisContext().call(m.exports,m.exports,function(i){return m.require(i)},m,b,P.dirname(b))}
catch(e){console.error("<3>get_hosts: "+b+" does not load on Node.js "+process.version+" ("+String(e&&e.message||e).split("\n")[0]+")"+t);process.exit(70)}'

node=
if command -v node >/dev/null 2>&1; then node=node
elif command -v nodejs >/dev/null 2>&1; then node=nodejs
fi

# Exit status: the bundle's (shared/exit-codes.ts); 1 ("could not do its job") when Node could not
# give a host: then, with no arguments, the fallback was printed.
if [ $# -gt 0 ]; then
	if [ -z "$node" ]; then
		echo "<3>get_hosts: neither node nor nodejs is on PATH ($PATH): install the nodejs package" >&2
		exit 1
	fi
	"$node" -e "var t=\"\";$loader" "$bundle" "$@"
	status=$?
	# 70 is the loader's own (its line is printed): the table's 1 outside.
	[ "$status" -ne 70 ] || exit 1
	exit "$status"
fi

if [ -n "$node" ]; then
	# A Node that hangs (stopped, stuck in a system call, waiting at exit for a DNS server that does
	# not answer) must not hold LDM's greeter forever: coreutils' timeout ends it after the survey
	# deadline (LDM_BALANCE_TIMEOUT_MS, at most 10 s) plus 9 s for a slow client's start-up. Unset:
	# the default 300 ms; anything else the shell cannot read plainly: the longest deadline.
	case $LDM_BALANCE_TIMEOUT_MS in
	'') limit=10 ;;
	[0-9] | [0-9][0-9] | [0-9][0-9][0-9] | [0-9][0-9][0-9][0-9] | 10000) limit=$(((LDM_BALANCE_TIMEOUT_MS + 999) / 1000 + 9)) ;;
	*) limit=19 ;;
	esac
	watchdog=
	if command -v timeout >/dev/null 2>&1; then watchdog="timeout -k 1 $limit"; fi
	# Node's stderr goes straight to ours (fd 3); the shell's own stderr is muted meanwhile, so a
	# crash is reported once, by the line below, not also as the shell's "Segmentation fault".
	{
		hosts=$($watchdog "$node" -e "var t=\": LDM gets the configured servers instead\";$loader" "$bundle" 2>&3)
		status=$?
	} 3>&2 2>/dev/null
	case $hosts in
	*[![:space:]]*) printf '%s\n' "$hosts"; exit "$status" ;;
	esac
	if [ "$status" -eq 70 ]; then why=
	elif [ -n "$watchdog" ] && [ "$status" -eq 124 ]; then why="$node printed no host within $limit s: stopped"
	elif [ "$status" -gt 128 ]; then why="$node was killed by signal $((status - 128)) before printing a host"
	elif [ "$status" -eq 126 ]; then why="$node cannot be executed (another architecture?)"
	else why="$node $bundle exited with status $status and printed no host"
	fi
else
	why="neither node nor nodejs is on PATH ($PATH)"
fi

# The fallback: LDM_BALANCE_SERVERS entries are host, host:port, [v6addr]:port or a bare IPv6
# address, separated by spaces or commas. Ports belong to the advertise daemon, never to LDM's ssh.
hosts=
set -f
IFS=' ,	
'
for entry in $LDM_BALANCE_SERVERS; do
	case $entry in
	\[*\]:*) host=${entry%%\]:*}; host=${host#\[} ;;
	\[*\]) host=${entry#\[}; host=${host%\]} ;;
	*:*:*) host=$entry ;;
	*:*) host=${entry%:*} ;;
	*) host=$entry ;;
	esac
	# Only what a host name or address can hold; a stray quote or junk is dropped, not printed.
	case $host in
	'' | *[!A-Za-z0-9.:%_-]*) continue ;;
	esac
	case " $hosts " in
	*" $host "*) ;;
	*) hosts=${hosts:+$hosts }$host ;;
	esac
done
[ -n "$hosts" ] || hosts=server
case $LDM_BALANCE_XDMCP in
Y | y | True | true) hosts=${hosts%% *} ;;
esac
[ -z "$why" ] || echo "<3>get_hosts: $why: printing $hosts" >&2
printf '%s\n' "$hosts"
exit 1

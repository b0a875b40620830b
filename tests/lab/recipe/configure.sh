#!/bin/sh
# Runs inside the image chroot after debootstrap. Part of the image recipe:
# any change here changes the recipe hash and rebuilds the images.
set -eu
suite="$1"
export DEBIAN_FRONTEND=noninteractive

cat > /etc/apt/sources.list <<SRC
deb http://deb.debian.org/debian ${suite} main
deb http://deb.debian.org/debian ${suite}-updates main
deb http://deb.debian.org/debian-security ${suite}-security main
SRC

# No service may start inside the chroot while we install.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d

apt-get update -q
apt-get -y -q dist-upgrade
grep -v '^#' /tmp/recipe/packages-cache.txt | while read -r group; do
    [ -n "$group" ] || continue
    # shellcheck disable=SC2086
    apt-get install -y -q --download-only $group
done

rm -f /usr/sbin/policy-rc.d
# Host identity is given per lab host at boot (machine-id, ssh host keys).
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id /etc/ssh/ssh_host_*
# A lab host has no console to log in on or to ask passwords on. Masking these
# keeps a freshly booted host 'running' (not 'degraded') and saves inotify
# instances, a machine-wide limit (fs.inotify.max_user_instances, 128 here)
# shared by every host of every lab.
systemctl mask getty@tty1.service serial-getty@ttyS0.service console-getty.service \
    systemd-ask-password-console.path systemd-ask-password-wall.path >/dev/null 2>&1 || true
echo 'PermitRootLogin prohibit-password' > /etc/ssh/sshd_config.d/cshv-lab.conf 2>/dev/null || true

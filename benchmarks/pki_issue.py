# Copyright: ironclad.infra contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: issue certificates for 100 hosts with the pki role, then re-run with nothing to do.

The honest per-host flow is kept: 100 inventory hosts (local connection, each with its own directory
standing in for its /etc/ironclad/pki) make their keys and CSRs themselves, the CA on the controller
signs all CSRs in one module call, the hosts install their certificate, chain, full chain, bundle and
PKCS#12. The trust store and package features are off (they would touch this machine); SANs come from
inventory (a DNS name and an address per host), so no facts are gathered.

Prints the wall time of

1. the first run (CA created, 100 keys, 100 certificates),
2. a re-run that changes nothing,
3. a renewal run (window raised above the remaining lifetime: all 100 re-issued),
4. ``ansible -m ping`` on the same 100 hosts: Ansible's own floor for one module call per host here,

and checks that every certificate verifies against the CA. ``--baseline`` also times the
community.crypto way (private key, CSR, ownca certificate per host, looped on the controller), which
was measured on these machines at 196 s / 189 s for 100 hosts. Floors: first run <= 20 s, re-run <= 5 s.
Figures are printed, never asserted; the exit code is 0 unless a step broke.

    .venv/bin/python benchmarks/pki_issue.py [--hosts 100] [--forks 25] [--baseline] [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from _common import ROOT, ansible_env, cpu_seconds, sh

FLOORS = {"first": 20.0, "rerun": 5.0}

PLAY = """\
- name: Issue certificates for every host
  hosts: all
  gather_facts: false
  tasks:
    - name: Apply the pki role
      ansible.builtin.import_role:
        name: ironclad.infra.pki
"""

BASELINE = """\
- name: community.crypto, looped on the controller
  hosts: localhost
  gather_facts: false
  vars:
    names: "{{ range(1, count + 1) | map('string') | map('regex_replace', '^', 'bench-') | list }}"
  tasks:
    - name: CA key
      community.crypto.openssl_privatekey:
        path: "{{ dir }}/ca.key"
    - name: CA CSR
      community.crypto.openssl_csr_pipe:
        privatekey_path: "{{ dir }}/ca.key"
        common_name: Baseline CA
        basic_constraints: ["CA:TRUE"]
        basic_constraints_critical: true
        key_usage: [keyCertSign, cRLSign]
        key_usage_critical: true
        use_common_name_for_san: false
      register: ca_csr
      changed_when: false
    - name: CA certificate
      community.crypto.x509_certificate:
        path: "{{ dir }}/ca.crt"
        csr_content: "{{ ca_csr.csr }}"
        privatekey_path: "{{ dir }}/ca.key"
        provider: selfsigned
    - name: Host keys
      community.crypto.openssl_privatekey:
        path: "{{ dir }}/{{ item }}.key"
        type: ECC
        curve: secp256r1
      loop: "{{ names }}"
    - name: Host CSRs
      community.crypto.openssl_csr_pipe:
        privatekey_path: "{{ dir }}/{{ item }}.key"
        common_name: "{{ item }}.bench.lab"
        subject_alt_name: ["DNS:{{ item }}.bench.lab"]
      loop: "{{ names }}"
      register: csrs
      changed_when: false
    - name: Host certificates
      community.crypto.x509_certificate:
        path: "{{ dir }}/{{ item.item }}.crt"
        csr_content: "{{ item.csr }}"
        provider: ownca
        ownca_path: "{{ dir }}/ca.crt"
        ownca_privatekey_path: "{{ dir }}/ca.key"
      loop: "{{ csrs.results }}"
      loop_control:
        label: "{{ item.item }}"
"""


def collection_env(workdir, forks):
    """The checkout's Ansible environment (_common.ansible_env) with this run's forks, a temporary
    directory of its own and per-task timings (PKI_TASKS are read from them)."""
    return ansible_env(ANSIBLE_FORKS=forks, ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "ansible-tmp"),
                       ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")


def write_inventory(workdir, count):
    lines = ["all:", "  vars:",
             "    ansible_connection: local",
             "    ansible_python_interpreter: %s" % sys.executable,
             "    pki_ca_dir: %s/ca" % workdir,
             "    pki_ca_passphrase: bench-secret",
             "    pki_packages_enabled: false",
             "    pki_trust_enabled: false",
             "    pki_gather_facts: false",
             "    pki_key_owner: \"%d\"" % os.getuid(),
             "    pki_key_group: \"%d\"" % os.getgid(),
             "    pki_dir: \"%s/hosts/{{ inventory_hostname }}\"" % workdir,
             "    pki_certificate_sans: [\"{{ inventory_hostname }}.bench.lab\", \"{{ bench_address }}\"]",
             "  hosts:"]
    for index in range(1, count + 1):
        lines.append("    bench-%d: {bench_address: 10.99.%d.%d}" % (index, index // 250, index % 250 + 1))
    path = os.path.join(workdir, "inventory.yml")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


CPU = {}


def run(argv, env, label):
    """Run a command; return (wall seconds, hosts changed, stdout). CPU seconds of the run go to CPU[label]."""
    start, cpu = time.monotonic(), cpu_seconds()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    elapsed = time.monotonic() - start
    CPU[label] = cpu_seconds() - cpu
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-6000:] + proc.stderr[-3000:])
        raise SystemExit("%s failed (rc %d)" % (label, proc.returncode))
    changed = [int(n) for n in re.findall(r"changed=(\d+)", proc.stdout)]
    return elapsed, sum(1 for n in changed if n), proc.stdout


# The tasks that do PKI work (the rest of a run is the role's frame: argument validation, OS variables,
# facts, and the skipped tasks of disabled features).
PKI_TASKS = ("Create or load the CA on the CA host", "Make the host key and decide whether a certificate must be issued",
             "Sign all certificate requests on the CA host in one call", "Install the signed certificate, chain, bundle and keystore")


def pki_task_seconds(output):
    """Sum of the profile_tasks durations of PKI_TASKS in an ansible-playbook output."""
    total = 0.0
    for match in re.finditer(r"^ironclad\.infra\.pki : (.+?) -+ ([\d.]+)s$", output, re.M):
        if match.group(1).strip() in PKI_TASKS:
            total += float(match.group(2))
    return total


def collection_on_path():
    """Make this checkout importable as ansible_collections.ironclad.infra (the back ends run in-process)."""
    sys.path.insert(0, sh(["bash", os.path.join(ROOT, "scripts", "collection-link.sh")]).stdout.strip())


def verify(workdir, count):
    collection_on_path()
    from ansible_collections.ironclad.infra.plugins.module_utils._pki import x509 as x

    serials = {}
    for index in range(1, count + 1):
        host_dir = os.path.join(workdir, "hosts", "bench-%d" % index)
        with open(os.path.join(host_dir, "host.crt"), "rb") as handle:
            leaf = x.load_certificate(handle.read())
        with open(os.path.join(host_dir, "chain.crt"), "rb") as handle:
            chain = x.load_certificates(handle.read())
        if x.build_chain(leaf, chain)[-1] != chain[-1] or "DNS:bench-%d.bench.lab" % index not in x.certificate_sans(leaf):
            raise SystemExit("certificate of bench-%d does not verify" % index)
        serials[index] = leaf.serial_number
    return serials


class _Module:
    def __init__(self, params):
        self.params, self.check_mode = params, False

    def warn(self, message):
        pass


def engine(workdir, count):
    """The same PKI work without Ansible: the module backends called in this process (no per-host task,
    no module start-up). Returns (first, rerun) seconds."""
    collection_on_path()
    from ansible_collections.ironclad.infra.plugins.module_utils._pki.backend import CaBackend, CertificateBackend, SignBackend
    from ansible_collections.ironclad.infra.plugins.module_utils._pki.spec import CERTIFICATE_ARGUMENT_SPEC

    defaults = {k: v.get("default") for k, v in CERTIFICATE_ARGUMENT_SPEC.items()}
    base = os.path.join(workdir, "engine")

    def params(index, chain, certificate=None):
        d = os.path.join(base, "bench-%d" % index)
        return dict(defaults, privatekey_path=d + "/host.key", certificate_path=d + "/host.crt", chain_path=d + "/chain.crt",
                    fullchain_path=d + "/fullchain.crt", bundle_path=d + "/host.bundle.pem", ca_certificate_path=d + "/ca.crt",
                    pkcs12_path=d + "/host.p12", subject_alt_names=["bench-%d.bench.lab" % index], ca_chain=chain,
                    certificate=certificate)

    def one_pass(chain):
        results = {i: CertificateBackend(_Module(params(i, chain))).run() for i in range(1, count + 1)}
        requests = [{"name": str(i), "csr": r["csr"], "subject_alt_names": r["subject_alt_names"]}
                    for i, r in results.items() if r["issue_required"]]
        ca_params = dict(ca_path=os.path.join(base, "ca"), passphrase="bench-secret", requests=requests,
                         validity_days=365, extended_key_usage=["server", "client"])
        signed = SignBackend(_Module(ca_params)).run()["certificates"]
        for name, pem in signed.items():
            CertificateBackend(_Module(params(int(name), chain, pem))).run()
        return len(signed)

    start = time.monotonic()
    ca = CaBackend(_Module(dict(path=os.path.join(base, "ca"), passphrase="bench-secret", subject={"common_name": "Engine CA"},
                                key_type="ec", key_curve="secp384r1", key_size=4096, validity_days=3650, path_length=None,
                                name_constraints_permitted=[], name_constraints_excluded=[], intermediate=False,
                                intermediate_subject=None, intermediate_validity_days=1825))).run()
    issued = one_pass(ca["chain"])
    first = time.monotonic() - start
    start = time.monotonic()
    again = one_pass(ca["chain"])
    rerun = time.monotonic() - start
    if issued != count or again != 0:
        raise SystemExit("engine pass issued %d, re-run issued %d" % (issued, again))
    return first, rerun


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--forks", type=int, default=25)
    parser.add_argument("--baseline", action="store_true", help="also time community.crypto (about 7 minutes)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="ironclad-pki-bench-")
    env = collection_env(workdir, args.forks)
    inventory = write_inventory(workdir, args.hosts)
    play = os.path.join(workdir, "pki.yml")
    with open(play, "w") as handle:
        handle.write(PLAY)
    playbook = ["ansible-playbook", "-i", inventory, play]
    print("pki benchmark: %d hosts (local connection, own directory each), forks=%d, %d CPU cores, load %.1f"
          % (args.hosts, args.forks, os.cpu_count(), os.getloadavg()[0]))
    results = {}
    try:
        results["first"], changed, out = run(playbook, env, "first run")
        tasks = {"first": pki_task_seconds(out)}
        first_serials = verify(workdir, args.hosts)
        print("  first run (CA + %d keys + %d certificates): %6.1f s  (%5.1f CPU-s)  hosts changed: %d"
              % (args.hosts, args.hosts, results["first"], CPU["first run"], changed))
        results["rerun"], changed, out = run(playbook, env, "re-run")
        tasks["rerun"] = pki_task_seconds(out)
        print("  no-change re-run:                           %6.1f s  (%5.1f CPU-s)  hosts changed: %d"
              % (results["rerun"], CPU["re-run"], changed))
        results["renew"], changed, out = run([*playbook, "-e", '{"pki_certificate_renew_before_days": 400}'], env, "renewal")
        tasks["renew"] = pki_task_seconds(out)
        renewed = verify(workdir, args.hosts)
        print("  renewal run (all %d re-issued):            %6.1f s  (%5.1f CPU-s)  hosts changed: %d, new serials: %d"
              % (args.hosts, results["renew"], CPU["renewal"], changed, sum(1 for k in renewed if renewed[k] != first_serials[k])))
        engine_first, engine_rerun = engine(workdir, args.hosts)
        print("  the PKI work alone (module backends in one process, no Ansible): first %.1f s, re-run %.1f s"
              % (engine_first, engine_rerun))
        ping, _changed, _out = run(["ansible", "-i", inventory, "all", "-m", "ansible.builtin.ping"], env, "ping")
        debug, _changed, _out = run(["ansible", "-i", inventory, "all", "-m", "ansible.builtin.debug", "-a", "msg=x"], env, "debug")
        print("  reference, same hosts: ansible -m ping %.1f s (%.1f CPU-s), -m debug %.1f s (%.1f CPU-s)"
              % (ping, CPU["ping"], debug, CPU["debug"]))
        if args.baseline:
            base_dir = os.path.join(workdir, "baseline")
            os.makedirs(base_dir)
            base_play = os.path.join(workdir, "baseline.yml")
            with open(base_play, "w") as handle:
                handle.write(BASELINE)
            extra = ["-e", "dir=%s" % base_dir, "-e", "count=%d" % args.hosts,
                     "-e", "ansible_python_interpreter=%s" % sys.executable]
            first, _c, _o = run(["ansible-playbook", "-i", "localhost,", "-c", "local", base_play, *extra], env, "baseline")
            again, _c, _o = run(["ansible-playbook", "-i", "localhost,", "-c", "local", base_play, *extra], env, "baseline re-run")
            print("  community.crypto loop: first %.1f s, re-run %.1f s" % (first, again))
        print("  of which the PKI tasks (CA, key/CSR, sign, install; profile_tasks): first %.1f s, re-run %.1f s, renewal %.1f s"
              % (tasks["first"], tasks["rerun"], tasks["renew"]))
        for key, floor in FLOORS.items():
            print("  floor %-6s <= %4.1f s: whole run %s (%.1f s), PKI tasks %s (%.1f s)"
                  % (key, floor, "met" if results[key] <= floor else "NOT met", results[key],
                     "met" if tasks[key] <= floor else "NOT met", tasks[key]))
    finally:
        if args.keep:
            print("  work directory kept: %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

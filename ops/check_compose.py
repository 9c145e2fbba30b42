#!/usr/bin/env python3
"""Checks docker-compose.yml where no docker compose is installed: it must parse as YAML,
define the database and every service container, and give each container an image or a
build. A stand-in for `docker compose config -q`, not a replacement."""
import re
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "docker-compose.yml"
text = open(path, encoding="utf-8").read()

# No secret may have a default: `${X:-value}` or `${X-value}` for a key, password, token
# or secret, or a literal value for one, would ship a working credential.
SECRET = re.compile(r"(KEY|PASSWORD|SECRET|TOKEN)", re.I)
for name, default in re.findall(r"\$\{(\w+):?-([^}]*)\}", text):
    if SECRET.search(name):
        sys.exit(f"{path}: the secret {name} has a default value ({default!r})")
for line in text.splitlines():
    setting = re.match(r"\s*(\w+):\s*(\S.*)$", line)
    # A folder's path (ADVOCACY_KEYS_DIR) names where secrets are kept, not a secret.
    # A mapping ({condition: ...}) is structure, such as the `keys` container's name.
    if setting and SECRET.search(setting.group(1)) and not setting.group(1).endswith("_DIR") \
            and "${" not in setting.group(2) and not setting.group(2).startswith("{"):
        sys.exit(f"{path}: {setting.group(1)} is written in the file; take it from .env")
try:
    import yaml
except ImportError:
    print("PyYAML missing; only checking that the file is not empty")
    sys.exit(0 if text.strip() else 1)

doc = yaml.safe_load(text)
services = doc.get("services") or {}
required = ["postgres", "mail", "keys", "deadlines", "briefings", "submissions", "notifier", "gateway"]
missing = [name for name in required if name not in services]
if missing:
    sys.exit(f"{path}: missing services: {', '.join(missing)}")
for name, spec in services.items():
    if not ("image" in spec or "build" in spec):
        sys.exit(f"{path}: service {name} has neither image nor build")
# The services start in order of health, and read the keys they cannot change.
for name in ["deadlines", "briefings", "submissions", "notifier", "gateway"]:
    spec = services[name]
    if "healthcheck" not in spec or spec["healthcheck"].get("test") != ["CMD", "advocacy", "health"]:
        sys.exit(f"{path}: {name} has no gRPC health check")
    if not spec.get("depends_on"):
        sys.exit(f"{path}: {name} starts before what it needs")
    if "keys:/keys:ro" not in spec.get("volumes", []):
        sys.exit(f"{path}: {name} does not get the keys read-only")
if "8080:8080" not in services["gateway"].get("ports", []):
    sys.exit(f"{path}: the gateway's web port is not published")
print(f"{path}: parses, {len(services)} services: {', '.join(services)}")

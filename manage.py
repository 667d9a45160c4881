#!/usr/bin/env python
import os
import sys


def main():
    # Files the commands write (backups, restored scans, mail of a demo, the SQLite database)
    # are the service user's alone: 0600 files, 0700 folders.
    os.umask(0o077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanghai_experts.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

"""Build the models' schema in a SCRATCH database (never production).

    /usr/bin/python3 examples/flask/create_all.py postgresql:///scratch

This is the one place where `db.create_all()` belongs: it gives pgmig the
desired state, and pgmig writes the migration from it.
"""
import sys

from models import create_app, db

app = create_app(sys.argv[1])
with app.app_context():
    db.create_all()

"""The seed's Flask app, reduced to its models: what `flask db migrate` reads.

Segment as it is after step 1 of the seed's workflow ("Modify Models"): the
three audio timestamp columns are new.  pgmig does not import this file
itself: `create_all.py` lets SQLAlchemy build these models in a scratch
database, and `pgmig revision --autogenerate --from-db` compares that
database with the migrations folder's head.
"""
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Segment(db.Model):
    __tablename__ = 'segment'

    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.Text, nullable=False)
    timestamp = db.Column(db.String)      # legacy "HH:MM:SS.mmm"
    # new in this change
    audio_start_ms = db.Column(db.Integer, nullable=True)
    audio_end_ms = db.Column(db.Integer, nullable=True)
    word_timestamps = db.Column(db.JSON, nullable=True)


def create_app(database_url):
    app = Flask(__name__)
    app.config['SQLALCHEMY_DATABASE_URI'] = database_url
    db.init_app(app)
    return app

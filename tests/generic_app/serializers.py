from rest_framework import serializers

from tests.generic_app.models import Bulletin, Note


class NoteWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["text", "pinned"]


class BulletinWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bulletin
        fields = ["title", "body"]

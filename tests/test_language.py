"""The language written to front matter: by script, then by common words; None when unsure."""

from __future__ import annotations

import pytest

from digest.ingest.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The council said on Monday that the bridge will be closed for repairs until the spring.", "en"),
        ("Le président a déclaré que la situation est grave pour les habitants de la ville.", "fr"),
        ("Der Präsident sagte, dass die Lage für die Menschen in der Stadt ernst ist.", "de"),
        ("El presidente dijo que la situación es grave para los habitantes de la ciudad.", "es"),
        ("Київ під атакою: у столиці чути вибухи, повідомляє влада.", "uk"),
        ("Москва сегодня объявила о новых мерах.", "ru"),
        ("انفجارات في العاصمة صباح الجمعة", "ar"),
        ("他来了。她走了！真的吗？", "zh"),
        ("東京でひらがなのテストをします。", "ja"),
        ("서울에서 오늘 회의가 열렸다.", "ko"),
        ("12 34 56 !!!", None),
        ("Café crème", None),
    ],
)
def test_detect_language(text: str, language: str | None) -> None:
    assert detect_language(text) == language

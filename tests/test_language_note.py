"""A language without a pack of its own still groups and summarises, and the ingest says so in
one line (issue 42): an Italian report among English ones, through the real CLI."""

import json

from conftest import EXAMPLES, run_cli, write_jsonl

ITALIAN = [
    {
        "id": "it-1",
        "title": "Alluvione in Emilia-Romagna: due morti e migliaia di sfollati",
        "source": "Corriere della Sera",
        "published": "2023-05-17",
        "text": (
            "Due persone sono morte e migliaia di abitanti hanno dovuto lasciare le loro case dopo le piogge "
            "torrenziali che hanno colpito l'Emilia-Romagna nella notte tra martedì e mercoledì, secondo la "
            "protezione civile. Diversi fiumi sono esondati e molti paesi della regione restano allagati. "
            "I vigili del fuoco hanno effettuato più di trecento interventi, ha detto il presidente della regione."
        ),
    },
    {
        "id": "it-2",
        "title": "Emilia-Romagna, sale il bilancio dell'alluvione",
        "source": "La Repubblica",
        "published": "2023-05-18",
        "text": (
            "Il bilancio dell'alluvione che ha colpito l'Emilia-Romagna sale a due morti, ha annunciato "
            "mercoledì la protezione civile. I fiumi sono esondati dopo le piogge torrenziali e migliaia di "
            "abitanti sono stati evacuati. I vigili del fuoco hanno compiuto più di trecento interventi nella notte."
        ),
    },
]


def test_an_ingest_with_a_language_without_pack_says_so_once_and_still_groups_it(tmp_path):
    db = str(tmp_path / "store.db")
    result = run_cli("ingest", str(EXAMPLES), str(write_jsonl(tmp_path / "it.jsonl", ITALIAN)), "--db", db)
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if "without a language pack" in line]
    assert notes == [notes[0]] and "it (2)" in notes[0] and notes[0].startswith("storyline: ")
    assert "en" not in notes[0].split(":")[2].split(";")[0]  # English has a pack: not named
    assert result.stdout.startswith("4 new")  # the two examples and the two Italian reports
    listed = run_cli("events", "--db", db, "--language", "it", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    [event] = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert {a["id"] for a in event["articles"]} == {"it-1", "it-2"}  # one event of both reports
    assert event["summary"] and all(s["article_id"] in {"it-1", "it-2"} for s in event["summary"])


def test_an_ingest_of_languages_with_packs_adds_no_note(tmp_path):
    result = run_cli("ingest", str(EXAMPLES), "--db", str(tmp_path / "store.db"))
    assert result.returncode == 0, result.stderr
    assert "without a language pack" not in result.stderr

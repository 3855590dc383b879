"""Neutral template text, name pools and handle variations for the simulator.

Part of the simulate stage (outside the flow: it produces exports for ingest).

**Content rule.**  Every post, bio and name the simulator writes comes from
this module: neutral template sentences ("daily update 12 from Amaq",
"report number 7 posted, read and share", "new account @name_2 follow") plus
short indicator tokens (outlet names, hashtags, link domains).  Nothing here is
propaganda prose, nothing is violent, and nothing is taken from
``../shared/datasets``.  Arabic, French and the other languages get neutral
sentences of their own, so language identification sees the right language.
``tests/simulate`` checks the output against a deny-list of violent terms.
"""

from __future__ import annotations

import re

__all__ = [
    "AR_GIVEN",
    "BIOS",
    "GIVEN",
    "KUNYA_POOL",
    "LANGUAGES",
    "LOCATIONS",
    "NISBA_POOL",
    "NEWS_TAGS",
    "SIGNATURES",
    "TEMPLATES",
    "TOPIC_TAGS",
    "TOPICS",
    "WORDS",
    "handle_variant",
    "lookalike_identity",
    "slug",
]

#: languages that have templates (ISO 639-1), in the simulator's code order
LANGUAGES = ("ar", "en", "fr", "de", "tr", "ru", "es", "id")

#: TEMPLATES[kind][lang] -> variants; placeholders: {n} post number of the
#: author, {topic}, {outlet}, {g} account generation.  "shoutout" holds
#: (before, after) pairs around the announced "@handle".
TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "ordinary": {
        "ar": (
            "ملاحظة يومية رقم {n} عن {topic} مع الأصدقاء",
            "أفكر اليوم في {topic} مرة أخرى، الملاحظة رقم {n}",
        ),
        "en": (
            "daily note {n} about {topic} with friends today",
            "thinking about {topic} again today, note number {n}",
        ),
        "fr": (
            "note quotidienne numéro {n} sur {topic} avec les amis",
            "je pense encore à {topic} aujourd'hui, note numéro {n}",
        ),
        "de": (
            "tägliche Notiz Nummer {n} über {topic} mit Freunden",
            "heute denke ich wieder an {topic}, Notiz Nummer {n}",
        ),
        "tr": (
            "arkadaşlarla {topic} hakkında günlük not numarası {n}",
            "bugün yine {topic} düşünüyorum, not numarası {n}",
        ),
        "ru": (
            "ежедневная заметка номер {n} про {topic} с друзьями",
            "сегодня снова думаю про {topic}, заметка номер {n}",
        ),
        "es": (
            "nota diaria número {n} sobre {topic} con los amigos",
            "hoy pienso otra vez en {topic}, nota número {n}",
        ),
        "id": (
            "catatan harian nomor {n} tentang {topic} bersama teman",
            "hari ini saya memikirkan {topic} lagi, catatan nomor {n}",
        ),
    },
    "news": {
        "ar": (
            "نشرة الأخبار رقم {n}: آخر المستجدات حول {topic}",
            "تقرير إخباري رقم {n} من مكتبنا عن {topic} اليوم",
        ),
        "en": (
            "news bulletin {n}: the latest update on {topic}",
            "report number {n} from our desk about {topic} today",
        ),
        "fr": (
            "bulletin d'information numéro {n} : les dernières nouvelles sur {topic}",
            "reportage numéro {n} de notre rédaction sur {topic}",
        ),
        "de": (
            "Nachrichten Nummer {n}: das Neueste über {topic}",
            "Bericht Nummer {n} aus unserer Redaktion über {topic}",
        ),
        "tr": (
            "haber bülteni {n}: {topic} hakkında son gelişmeler",
            "editörlerimizden {topic} hakkında rapor numarası {n}",
        ),
        "ru": (
            "выпуск новостей номер {n}: последние новости про {topic}",
            "репортаж номер {n} нашей редакции про {topic}",
        ),
        "es": (
            "boletín de noticias número {n}: lo último sobre {topic}",
            "reportaje número {n} de nuestra redacción sobre {topic}",
        ),
        "id": (
            "buletin berita nomor {n}: kabar terbaru tentang {topic}",
            "laporan nomor {n} dari redaksi kami tentang {topic}",
        ),
    },
    "campaign": {
        "ar": (
            "رسالة الحملة رقم {n}: تحدث مع عائلتك وجيرانك",
            "رسالة رقم {n}: معاً من أجل مجتمع متماسك",
        ),
        "en": (
            "campaign message {n}: talk with your family and your neighbours",
            "message number {n}: together we build a stronger community",
        ),
        "fr": (
            "message de campagne numéro {n} : parlez avec votre famille et vos voisins",
            "message numéro {n} : ensemble pour une communauté plus forte",
        ),
        "de": (
            "Kampagnenbotschaft Nummer {n}: sprich mit deiner Familie und deinen Nachbarn",
            "Botschaft Nummer {n}: gemeinsam für eine starke Gemeinschaft",
        ),
        "tr": (
            "kampanya mesajı {n}: ailenizle ve komşularınızla konuşun",
            "mesaj numarası {n}: birlikte daha güçlü bir toplum",
        ),
        "ru": (
            "сообщение кампании номер {n}: поговорите с семьёй и соседями",
            "сообщение номер {n}: вместе мы строим крепкое общество",
        ),
        "es": (
            "mensaje de campaña número {n}: habla con tu familia y tus vecinos",
            "mensaje número {n}: juntos construimos una comunidad más fuerte",
        ),
        "id": (
            "pesan kampanye nomor {n}: bicaralah dengan keluarga dan tetangga",
            "pesan nomor {n}: bersama membangun masyarakat yang kuat",
        ),
    },
    "covert": {
        "ar": ("تم نشر التقرير رقم {n} للقراءة والمشاركة", "إصدار جديد رقم {n} متوفر الآن للجميع"),
        "en": (
            "report number {n} posted, read and share",
            "new release number {n} is available now",
        ),
        "fr": (
            "rapport numéro {n} publié, à lire et à partager",
            "nouvelle publication numéro {n} disponible maintenant",
        ),
        "de": (
            "Bericht Nummer {n} veröffentlicht, lesen und teilen",
            "neue Veröffentlichung Nummer {n} ist jetzt verfügbar",
        ),
        "tr": (
            "rapor numarası {n} yayınlandı, okuyun ve paylaşın",
            "yeni yayın numarası {n} şimdi mevcut",
        ),
        "ru": (
            "отчёт номер {n} опубликован, читайте и делитесь",
            "новый выпуск номер {n} уже доступен",
        ),
        "es": (
            "informe número {n} publicado, lee y comparte",
            "nueva publicación número {n} disponible ahora",
        ),
        "id": (
            "laporan nomor {n} sudah terbit, baca dan bagikan",
            "terbitan baru nomor {n} sudah tersedia",
        ),
    },
    "outlet": {
        "ar": ("تحديث يومي رقم {n} من {outlet}", "نشرة {outlet} رقم {n} متوفرة الآن"),
        "en": ("daily update {n} from {outlet}", "{outlet} bulletin number {n} is available now"),
        "fr": (
            "mise à jour quotidienne numéro {n} de {outlet}",
            "le bulletin {outlet} numéro {n} est disponible",
        ),
        "de": (
            "tägliche Aktualisierung Nummer {n} von {outlet}",
            "das Bulletin von {outlet} Nummer {n} ist verfügbar",
        ),
        "tr": (
            "{outlet} günlük güncelleme numarası {n}",
            "{outlet} bülteni numarası {n} şimdi mevcut",
        ),
        "ru": (
            "ежедневное обновление номер {n} от {outlet}",
            "бюллетень {outlet} номер {n} уже доступен",
        ),
        "es": (
            "actualización diaria número {n} de {outlet}",
            "el boletín de {outlet} número {n} está disponible",
        ),
        "id": (
            "pembaruan harian nomor {n} dari {outlet}",
            "buletin {outlet} nomor {n} sudah tersedia",
        ),
    },
    "back": {
        "ar": ("عدنا من جديد، هذا الحساب رقم {g}",),
        "en": ("back again, this is account number {g}",),
        "fr": ("de retour, voici le compte numéro {g}",),
        "de": ("wieder da, das ist Konto Nummer {g}",),
        "tr": ("yeniden buradayız, bu hesap numarası {g}",),
        "ru": ("мы снова здесь, это аккаунт номер {g}",),
        "es": ("de vuelta, esta es la cuenta número {g}",),
        "id": ("kami kembali, ini akun nomor {g}",),
    },
    "reply": {
        "ar": ("شكراً على المشاركة، الرد رقم {n}",),
        "en": ("thank you for sharing this, reply number {n}",),
        "fr": ("merci pour le partage, réponse numéro {n}",),
        "de": ("danke für das Teilen, Antwort Nummer {n}",),
        "tr": ("paylaştığınız için teşekkürler, cevap numarası {n}",),
        "ru": ("спасибо, что поделились, ответ номер {n}",),
        "es": ("gracias por compartir, respuesta número {n}",),
        "id": ("terima kasih sudah berbagi, balasan nomor {n}",),
    },
    "quote": {
        "ar": ("اقرأوا هذا المنشور، التعليق رقم {n}",),
        "en": ("read this post, comment number {n}",),
        "fr": ("lisez ce message, commentaire numéro {n}",),
        "de": ("lies diesen Beitrag, Kommentar Nummer {n}",),
        "tr": ("bu gönderiyi okuyun, yorum numarası {n}",),
        "ru": ("прочитайте этот пост, комментарий номер {n}",),
        "es": ("lee esta publicación, comentario número {n}",),
        "id": ("baca postingan ini, komentar nomor {n}",),
    },
    "shoutout": {
        "ar": ("حساب جديد |@| تابعوا",),
        "en": ("new account |@| follow and share",),
        "fr": ("nouveau compte |@| à suivre et partager",),
        "de": ("neues Konto |@| bitte folgen",),
        "tr": ("yeni hesap |@| takip edin",),
        "ru": ("новый аккаунт |@| подписывайтесь",),
        "es": ("nueva cuenta |@| síganla",),
        "id": ("akun baru |@| silakan ikuti",),
    },
}

#: everyday topics of ordinary users, per language (same order everywhere)
TOPICS: dict[str, tuple[str, ...]] = {
    "ar": ("الطقس", "كرة القدم", "الموسيقى", "القهوة", "الكتب", "السفر", "الطبخ", "السينما"),
    "en": (
        "the weather",
        "football",
        "music",
        "coffee",
        "books",
        "travel",
        "cooking",
        "the cinema",
    ),
    "fr": (
        "la météo",
        "le football",
        "la musique",
        "le café",
        "les livres",
        "les voyages",
        "la cuisine",
        "le cinéma",
    ),
    "de": (
        "das Wetter",
        "Fußball",
        "die Musik",
        "den Kaffee",
        "die Bücher",
        "das Reisen",
        "das Kochen",
        "das Kino",
    ),
    "tr": ("hava durumu", "futbol", "müzik", "kahve", "kitaplar", "seyahat", "yemek", "sinema"),
    "ru": ("погоду", "футбол", "музыку", "кофе", "книги", "путешествия", "кухню", "кино"),
    "es": (
        "el tiempo",
        "el fútbol",
        "la música",
        "el café",
        "los libros",
        "los viajes",
        "la cocina",
        "el cine",
    ),
    "id": ("cuaca", "sepak bola", "musik", "kopi", "buku", "perjalanan", "masakan", "bioskop"),
}
#: news desks' topics, per language (same order everywhere)
NEWS_TOPICS: dict[str, tuple[str, ...]] = {
    "ar": ("الاقتصاد", "الطقس", "الرياضة", "الانتخابات", "الصحة", "العلوم", "النقل", "الثقافة"),
    "en": (
        "the economy",
        "the weather",
        "sport",
        "the elections",
        "health",
        "science",
        "transport",
        "culture",
    ),
    "fr": (
        "l'économie",
        "la météo",
        "le sport",
        "les élections",
        "la santé",
        "la science",
        "les transports",
        "la culture",
    ),
    "de": (
        "die Wirtschaft",
        "das Wetter",
        "den Sport",
        "die Wahlen",
        "die Gesundheit",
        "die Wissenschaft",
        "den Verkehr",
        "die Kultur",
    ),
    "tr": ("ekonomi", "hava durumu", "spor", "seçimler", "sağlık", "bilim", "ulaşım", "kültür"),
    "ru": ("экономику", "погоду", "спорт", "выборы", "здоровье", "науку", "транспорт", "культуру"),
    "es": (
        "la economía",
        "el tiempo",
        "el deporte",
        "las elecciones",
        "la salud",
        "la ciencia",
        "el transporte",
        "la cultura",
    ),
    "id": (
        "ekonomi",
        "cuaca",
        "olahraga",
        "pemilihan umum",
        "kesehatan",
        "sains",
        "transportasi",
        "budaya",
    ),
}
#: hashtag of each everyday topic (index-aligned with TOPICS)
TOPIC_TAGS = ("weather", "football", "music", "coffee", "books", "travel", "cooking", "cinema")
#: hashtag of each news topic (index-aligned with NEWS_TOPICS)
NEWS_TAGS = (
    "economy",
    "weather",
    "sport",
    "elections",
    "health",
    "science",
    "transport",
    "culture",
)

#: given names (Latin transliteration) and the same names in Arabic script
GIVEN = (
    "nour", "samir", "layla", "omar", "yusuf", "amina", "karim", "hana", "zaid", "rania",
    "tariq", "salma", "adam", "maryam", "idris", "huda", "bilal", "sara", "hamza", "lina",
    "khalid", "dina", "fadi", "reem", "sami", "rami", "yara", "ali", "hadi", "mona",
    "jamal", "nadia", "walid", "aisha", "ismail", "rana", "majid", "leen", "anas", "farah",
)  # fmt: skip
AR_GIVEN = (
    "نور", "سمير", "ليلى", "عمر", "يوسف", "أمينة", "كريم", "هناء", "زيد", "رانيا",
    "طارق", "سلمى", "آدم", "مريم", "إدريس", "هدى", "بلال", "سارة", "حمزة", "لينا",
    "خالد", "دينا", "فادي", "ريم", "سامي", "رامي", "يارا", "علي", "هادي", "منى",
    "جمال", "نادية", "وليد", "عائشة", "إسماعيل", "رنا", "ماجد", "لين", "أنس", "فرح",
)  # fmt: skip
#: neutral words for handles
WORDS = (
    "sky", "river", "star", "moon", "light", "road", "stone", "wind",
    "sea", "hill", "rose", "palm", "cedar", "dawn", "leaf", "rain",
)  # fmt: skip
#: the kunya prefix of a name ("father of"), Latin and Arabic
KUNYA = ("abu", "أبو")
#: the small pool of kunya-style names that many unrelated accounts share
#: (:func:`lookalike_identity`): the given name's Latin spellings (English and
#: French transliterations) and its Arabic spelling
KUNYA_POOL = (
    (("omar", "umar", "omer"), "عمر"),
    (("yusuf", "youssef", "yousef"), "يوسف"),
    (("hamza", "hamzah"), "حمزة"),
    (("khalid", "khaled"), "خالد"),
    (("ibrahim", "brahim"), "إبراهيم"),
    (("abdallah", "abdullah"), "عبدالله"),
    (("bilal",), "بلال"),
    (("zaid", "zayd"), "زيد"),
)
#: place-of-origin names (nisba) a kunya-style name sometimes carries, Latin and Arabic
NISBA_POOL = (
    ("masri", "المصري"),
    ("tunisi", "التونسي"),
    ("shami", "الشامي"),
    ("maghribi", "المغربي"),
    ("iraqi", "العراقي"),
    ("yamani", "اليمني"),
)
#: the kunya word of a display name, per spelling
_KUNYA_WORD = {"ar": "أبو", "en": "Abu", "fr": "Abou"}
#: the word "account" per language, for re-created accounts' bios
ACCOUNT_WORD = {
    "ar": "الحساب",
    "en": "account",
    "fr": "compte",
    "de": "Konto",
    "tr": "hesap",
    "ru": "аккаунт",
    "es": "cuenta",
    "id": "akun",
}
#: the name of each language in itself, for outlet display names
LANGUAGE_LABEL = {
    "ar": "عربي",
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "tr": "Türkçe",
    "ru": "Русский",
    "es": "Español",
    "id": "Indonesia",
}

#: BIOS[kind][lang] -> variants ({outlet} for outlets, {tag} for the campaign)
BIOS: dict[str, dict[str, tuple[str, ...]]] = {
    "ordinary": {
        "ar": ("قهوة وكتب ومشي طويل", "مشجع كرة قدم وطباخ في عطلة نهاية الأسبوع", ""),
        "en": ("coffee, books and long walks", "football fan and weekend cook", ""),
        "fr": (
            "café, livres et longues promenades",
            "fan de football et cuisinier du dimanche",
            "",
        ),
        "de": ("Kaffee, Bücher und lange Spaziergänge", "Fußballfan und Hobbykoch", ""),
        "tr": ("kahve, kitaplar ve uzun yürüyüşler", "futbol hayranı ve hafta sonu aşçısı", ""),
        "ru": ("кофе, книги и долгие прогулки", "болельщик футбола и повар по выходным", ""),
        "es": (
            "café, libros y largos paseos",
            "aficionado al fútbol y cocinero de fin de semana",
            "",
        ),
        "id": (
            "kopi, buku dan jalan-jalan panjang",
            "penggemar sepak bola dan juru masak akhir pekan",
            "",
        ),
    },
    "news": {
        "ar": ("أخبار ومستجدات كل يوم",),
        "en": ("news and updates, every day",),
        "fr": ("informations et nouvelles, chaque jour",),
        "de": ("Nachrichten und Neuigkeiten, jeden Tag",),
        "tr": ("her gün haberler ve güncellemeler",),
        "ru": ("новости и обновления каждый день",),
        "es": ("noticias y novedades, cada día",),
        "id": ("berita dan kabar terbaru setiap hari",),
    },
    "campaign": {
        "ar": ("نتحدث ونستمع ونبني مجتمعنا #{tag}",),
        "en": ("talk, listen, build community #{tag}",),
        "fr": ("parler, écouter, construire ensemble #{tag}",),
        "de": ("reden, zuhören, Gemeinschaft bauen #{tag}",),
        "tr": ("konuş, dinle, toplumu birlikte kur #{tag}",),
        "ru": ("говорить, слушать, строить общество #{tag}",),
        "es": ("hablar, escuchar, construir comunidad #{tag}",),
        "id": ("bicara, mendengar, membangun masyarakat #{tag}",),
    },
    "covert": {
        "ar": ("نشارك التحديثات اليومية", "متابعة الأخبار", ""),
        "en": ("sharing daily updates", "following the news", ""),
        "fr": ("partage des nouvelles du jour", "je suis les nouvelles", ""),
        "de": ("teile tägliche Neuigkeiten", "ich folge den Nachrichten", ""),
        "tr": ("günlük güncellemeleri paylaşıyorum", "haberleri takip ediyorum", ""),
        "ru": ("делюсь ежедневными новостями", "слежу за новостями", ""),
        "es": ("comparto las novedades del día", "sigo las noticias", ""),
        "id": ("berbagi kabar harian", "mengikuti berita", ""),
    },
    "outlet": {
        "ar": ("{outlet} - تحديثات يومية",),
        "en": ("{outlet} - daily updates",),
        "fr": ("{outlet} - mises à jour quotidiennes",),
        "de": ("{outlet} - tägliche Neuigkeiten",),
        "tr": ("{outlet} - günlük güncellemeler",),
        "ru": ("{outlet} - ежедневные обновления",),
        "es": ("{outlet} - novedades diarias",),
        "id": ("{outlet} - pembaruan harian",),
    },
}

#: places named in profiles, per language ("" = no location)
LOCATIONS: dict[str, tuple[str, ...]] = {
    "ar": ("الرياض", "القاهرة", "عمّان", "دبي", "الدوحة", "تونس", "", ""),
    "en": ("London", "Manchester", "New York", "Toronto", "Sydney", "", ""),
    "fr": ("Paris", "Lyon", "Bruxelles", "Montréal", "", ""),
    "de": ("Berlin", "Hamburg", "Wien", "", ""),
    "tr": ("İstanbul", "Ankara", "İzmir", "", ""),
    "ru": ("Москва", "Казань", "", ""),
    "es": ("Madrid", "Barcelona", "Ceuta", "", ""),
    "id": ("Jakarta", "Surabaya", "", ""),
}

#: link domains by kind of account: short indicator tokens, no paths of substance
NEWS_DOMAINS = ("news.example.com", "daily.example.org", "wire.example.net")
CAMPAIGN_DOMAIN = "together.example.org"
COVERT_DOMAINS = ("justpaste.it", "archive.org")
ORDINARY_DOMAINS = ("youtube.com", "instagram.com")

_NON_HANDLE = re.compile(r"[^a-z0-9_]")
_TRAILING_NUMBER = re.compile(r"_(\d+)$")
_DIGITS = re.compile(r"\d+$")
#: one letter -> digit look-alike substitution per re-creation
_LOOKALIKE = {"o": "0", "i": "1", "a": "4", "e": "3", "s": "5"}
#: handle variation kinds a re-created account can use
VARIATIONS = ("suffix", "digits", "kunya", "lookalike", "underscore")


def slug(name: str) -> str:
    """``al-Naba`` -> ``al_Naba``: a name usable as a hashtag."""
    return re.sub(r"[^0-9A-Za-z_]", "_", name)


def handle_slug(name: str) -> str:
    """``al-Naba`` -> ``alnaba``: a name usable inside an X handle."""
    return _NON_HANDLE.sub("", name.lower())


def lookalike_identity(picks: list[int], lang: str) -> tuple[str, str]:
    """A handle and display name drawn from the shared kunya-style pool.

    *picks* are five random integers; *lang* the account's language (Arabic
    accounts mostly write the name in Arabic script, French ones ``Abou``).
    The handle is a kunya-style form of the name with the variants many
    accounts use -- ``abu_omar``, ``abouomar``, ``abu_umar_masri``,
    ``abu_omer88``, ``omar_tunisi`` -- so its stem (``omar``, ``umarmasri``)
    is shared by unrelated accounts.  The caller makes the handle unique.
    """
    p0, p1, p2, p3, p4 = (int(v) for v in picks[:5])
    latin, arabic = KUNYA_POOL[p0 % len(KUNYA_POOL)]
    given = latin[p1 % len(latin)]
    nisba = NISBA_POOL[(p2 // 3) % len(NISBA_POOL)] if p2 % 3 == 0 else None
    style = "ar" if lang == "ar" and p3 % 5 else ("fr" if lang == "fr" else "en")
    if style == "ar":
        name = f"{_KUNYA_WORD['ar']} {arabic}" + (f" {nisba[1]}" if nisba else "")
    else:
        name = f"{_KUNYA_WORD[style]} {given.title()}" + (
            f" al-{nisba[0].title()}" if nisba else ""
        )
    kunya = "abou" if style == "fr" else "abu"
    digits = str(p4 // 6 % 100)
    form = p4 % 6
    if form == 0:
        handle = f"{kunya}_{given}"
    elif form == 1:
        handle = f"{kunya}{given}"
    elif form == 2:
        handle = f"{kunya}_{given}{digits}"
    elif form == 3:
        handle = f"{kunya}_{given}_{nisba[0] if nisba else digits}"
    elif form == 4:
        handle = f"{kunya}{given}_"
    else:
        handle = f"{given}_{nisba[0] if nisba else kunya}"
    return handle[:15], name


def handle_variant(handle: str, kind: str, generation: int, pick: int) -> str:
    """The handle a re-created account takes after *handle* was suspended.

    *generation* is the successor's generation (1 for the first re-creation);
    *pick* is a random integer that chooses among equivalent edits.  The result
    is a valid X handle (``[a-z0-9_]``, at most 15 characters) and differs
    from *handle*.

    ``suffix``: ``name`` / ``name_2`` -> ``name_{generation + 1}``;
    ``digits``: change or append trailing digits (``name12`` -> ``name21``);
    ``kunya``: add ``abu_`` (or drop it and add a suffix when present);
    ``lookalike``: one letter -> a digit look-alike (``omar`` -> ``0mar``);
    ``underscore``: add a trailing underscore (or a digit when present).
    """
    stem = _TRAILING_NUMBER.sub("", handle) or handle
    nxt = str(generation + 1)
    if kind == "suffix":
        out = f"{stem[: 14 - len(nxt)]}_{nxt}"
    elif kind == "digits":
        match = _DIGITS.search(handle)
        if match and len(set(match.group())) > 1:
            digits = match.group()
            out = handle[: match.start()] + digits[::-1]
            if out == handle:
                out = handle[: match.start()] + digits[1:] + digits[0]
        elif match:
            digits = str((int(match.group()) + 1 + pick % 7) % (10 ** len(match.group())))
            out = handle[: match.start()] + digits.zfill(len(match.group()))
        else:
            out = handle[: 15 - len(nxt)] + nxt
    elif kind == "kunya":
        out = (
            f"{stem[4:][: 14 - len(nxt)]}_{nxt}"
            if handle.startswith("abu_")
            else f"abu_{handle[:11]}"
        )
    elif kind == "lookalike":
        positions = [i for i, ch in enumerate(handle) if ch in _LOOKALIKE]
        if positions:
            i = positions[pick % len(positions)]
            out = handle[:i] + _LOOKALIKE[handle[i]] + handle[i + 1 :]
        else:
            out = f"{stem[: 14 - len(nxt)]}_{nxt}"
    elif kind == "underscore":
        out = (
            handle + "_"
            if len(handle) < 15 and not handle.endswith("_")
            else handle[:14] + str(pick % 10)
        )
    else:
        raise ValueError(f"unknown handle variation {kind!r}; expected one of {VARIATIONS}")
    if out == handle:
        out = handle[:14] + str((pick + 1) % 10)
        if out == handle:
            out = handle[:14] + str((pick + 2) % 10)
    return out


#: personal signature tokens some accounts end their posts with
#: (``SimConfig.habit_strength``): neutral emoji and marks
SIGNATURES = (
    "🌿", "✨", "🌙", "🕊", "📌", "🔹", "🌸", "☀", "⭐", "🍃", "💬", "📎",
    "»", "~", "!!", "...", "✔", "➡", "▪", "◆", "🌾", "🌊", "🏔", "🌴",
)  # fmt: skip

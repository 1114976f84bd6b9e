"""Demo and benchmark data for the clinics network: 20 clinics across Brazil's time zones."""

from __future__ import annotations

from typing import Any, Protocol

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from clinic.models import Clinic, Floor, Room


class Output(Protocol):
    """Where a loader reports progress: a management command's stdout or sys.stdout."""

    def write(self, msg: str, /) -> Any: ...


# code, name, city, UF, time zone, CEP
CLINICS = [
    ("SP-PAU", "Clínica Paulista", "São Paulo", "SP", "America/Sao_Paulo", "01310100"),
    ("SP-CAM", "Clínica Campinas", "Campinas", "SP", "America/Sao_Paulo", "13010111"),
    ("RJ-BOT", "Clínica Botafogo", "Rio de Janeiro", "RJ", "America/Sao_Paulo", "22250040"),
    ("MG-SAV", "Clínica Savassi", "Belo Horizonte", "MG", "America/Sao_Paulo", "30140071"),
    ("PR-CTB", "Clínica Batel", "Curitiba", "PR", "America/Sao_Paulo", "80420090"),
    ("RS-POA", "Clínica Moinhos", "Porto Alegre", "RS", "America/Sao_Paulo", "90570020"),
    ("SC-FLN", "Clínica Beira-Mar", "Florianópolis", "SC", "America/Sao_Paulo", "88015200"),
    ("ES-VIX", "Clínica Praia do Canto", "Vitória", "ES", "America/Sao_Paulo", "29055260"),
    ("DF-BSB", "Clínica Asa Sul", "Brasília", "DF", "America/Sao_Paulo", "70390100"),
    ("GO-GYN", "Clínica Setor Bueno", "Goiânia", "GO", "America/Sao_Paulo", "74210010"),
    ("BA-SSA", "Clínica Barra", "Salvador", "BA", "America/Bahia", "40140130"),
    ("PE-REC", "Clínica Boa Viagem", "Recife", "PE", "America/Recife", "51020010"),
    ("CE-FOR", "Clínica Aldeota", "Fortaleza", "CE", "America/Fortaleza", "60150160"),
    ("RN-NAT", "Clínica Ponta Negra", "Natal", "RN", "America/Fortaleza", "59090000"),
    ("PB-JPA", "Clínica Tambaú", "João Pessoa", "PB", "America/Fortaleza", "58039000"),
    ("PA-BEL", "Clínica Nazaré", "Belém", "PA", "America/Belem", "66035170"),
    ("AM-MAO", "Clínica Adrianópolis", "Manaus", "AM", "America/Manaus", "69057000"),
    ("MT-CGB", "Clínica Goiabeiras", "Cuiabá", "MT", "America/Cuiaba", "78032000"),
    ("MS-CGR", "Clínica Afonso Pena", "Campo Grande", "MS", "America/Campo_Grande", "79002070"),
    ("RO-PVH", "Clínica Olaria", "Porto Velho", "RO", "America/Porto_Velho", "76801000"),
]

# The clinics with wards of every kind, an imaging service and outpatients of every specialty.
HOSPITALS = {"SP-PAU", "RJ-BOT", "BA-SSA"}

# floor level, floor name, [(room kind, count, code prefix, name prefix)]
LAYOUT = [
    (0, "Térreo", [(Room.Kind.CONSULTING, 8, "C", "Consultório")]),
    (1, "1º andar", [(Room.Kind.EXAM, 4, "E", "Sala de exames"), (Room.Kind.CONSULTING, 4, "C1", "Consultório")]),
    (2, "2º andar", [(Room.Kind.WARD, 10, "Q", "Quarto"), (Room.Kind.OPERATING, 2, "CC", "Centro cirúrgico")]),
]


@transaction.atomic
def load(stdout: Output) -> None:
    created = 0
    for code, name, city, uf, time_zone, cep in CLINICS:
        clinic, was_created = Clinic.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "street": "Avenida Principal",
                "number": "1000",
                "district": "Centro",
                "city": city,
                "uf": uf,
                "cep": cep,
                "time_zone": time_zone,
                "phone": "",
            },
        )
        created += was_created
        floors = {floor.level: floor for floor in Floor.objects.filter(clinic=clinic)}
        codes = set(Room.objects.filter(clinic=clinic).values_list("code", flat=True))
        missing = []
        for level, floor_name, rooms in LAYOUT:
            if level not in floors:
                floors[level] = Floor.objects.create(clinic=clinic, level=level, name=floor_name)
            for kind, count, prefix, room_name in rooms:
                for number in range(1, count + 1):
                    code = f"{prefix}{level}{number:02d}" if prefix != "C1" else f"C{level}{number:02d}"
                    if code not in codes:
                        missing.append(
                            Room(clinic=clinic, code=code, floor=floors[level], kind=kind, name=f"{room_name} {number}")
                        )
        bulk_create_with_history(missing, Room)
    stdout.write(f"clinics: {Clinic.objects.count()} ({created} new), rooms: {Room.objects.count()}\n")

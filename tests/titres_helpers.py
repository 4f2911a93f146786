from conventions.enums import ConventionStatus

SIGNED_PATH = [
    ConventionStatus.EMISE,
    ConventionStatus.SIGNEE_COLLECTIVITE,
    ConventionStatus.SIGNEE_ACADEMIE,
]


def sign(convention):
    """Freeze the convention's fee as issuing would, then walk it to "signée par l'académie".

    Issuing (PDF) and the signed upload are other workflows; titres only need their result.
    """
    fee = convention.fee
    convention.issued_rate = fee.rate
    convention.issued_school_count = fee.school_count
    convention.issued_amount = fee.amount
    convention.issued_school_labels = [
        school.convention_label()
        for school in convention.schools.select_related("commune__departement")
    ]
    convention.save(
        update_fields=[
            "issued_rate",
            "issued_school_count",
            "issued_amount",
            "issued_school_labels",
        ]
    )
    for status in SIGNED_PATH:
        convention.transition_to(status)
    return convention

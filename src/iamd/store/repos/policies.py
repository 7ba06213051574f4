"""Managed policies (customer and AWS), their versions, inline policies and attachments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update

from iamd.store.ids import new_id
from iamd.store.records import InlinePolicy, ManagedPolicy, PolicyVersion
from iamd.store.repos.base import Repo, now, seq, to_record
from iamd.store.schema import attachments, inline_policies, policies, policy_versions


def policy_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


class Policies(Repo):
    def create(
        self,
        account_id: str,
        name: str,
        path: str,
        document: str,
        description: str | None = None,
        policy_id: str | None = None,
    ) -> ManagedPolicy:
        when = now()
        values: dict[str, Any] = {
            "id": policy_id or new_id("policy"),
            "account_id": account_id,
            "name": name,
            "name_lower": name.lower(),
            "path": path,
            "arn": policy_arn(account_id, path, name),
            "create_date": when,
            "update_date": when,
            "default_version_id": "v1",
            "next_version": 2,
            "description": description,
            "is_attachable": True,
        }
        self.insert(
            policies,
            f"A policy called {name} already exists. Duplicate names are not allowed.",
            **values,
        )
        self.conn.execute(
            policy_versions.insert().values(
                policy_id=values["id"], version_id="v1", document=document, create_date=when
            )
        )
        return to_record(ManagedPolicy, values)

    def get(self, arn: str) -> ManagedPolicy | None:
        row = self.conn.execute(select(policies).where(policies.c.arn == arn)).first()
        return to_record(ManagedPolicy, row._mapping) if row else None

    def all(self, account_ids: list[str], path_prefix: str = "/") -> list[ManagedPolicy]:
        rows = self.conn.execute(
            select(policies)
            .where(policies.c.account_id.in_(account_ids), policies.c.path.startswith(path_prefix))
            .order_by(policies.c.name_lower)
        )
        return [to_record(ManagedPolicy, r._mapping) for r in rows]

    def count(self, account_id: str) -> int:
        query = (
            select(func.count()).select_from(policies).where(policies.c.account_id == account_id)
        )
        return int(self.conn.execute(query).scalar_one())

    def delete(self, policy_id: str) -> None:
        self.conn.execute(delete(policies).where(policies.c.id == policy_id))

    def versions(self, policy_id: str) -> list[PolicyVersion]:
        rows = self.conn.execute(
            select(policy_versions)
            .where(policy_versions.c.policy_id == policy_id)
            .order_by(policy_versions.c.create_date.desc(), policy_versions.c.version_id.desc())
        )
        return [to_record(PolicyVersion, r._mapping) for r in rows]

    def version(self, policy_id: str, version_id: str) -> PolicyVersion | None:
        row = self.conn.execute(
            select(policy_versions).where(
                policy_versions.c.policy_id == policy_id,
                policy_versions.c.version_id == version_id,
            )
        ).first()
        return to_record(PolicyVersion, row._mapping) if row else None

    def add_version(
        self, policy: ManagedPolicy, document: str, make_default: bool
    ) -> PolicyVersion:
        version_id = f"v{policy.next_version}"
        when = now()
        self.conn.execute(
            policy_versions.insert().values(
                policy_id=policy.id, version_id=version_id, document=document, create_date=when
            )
        )
        changes: dict[str, Any] = {"next_version": policy.next_version + 1, "update_date": when}
        if make_default:
            changes["default_version_id"] = version_id
        self.conn.execute(update(policies).where(policies.c.id == policy.id).values(**changes))
        return PolicyVersion(policy.id, version_id, document, when)

    def set_default(self, policy_id: str, version_id: str) -> None:
        self.conn.execute(
            update(policies)
            .where(policies.c.id == policy_id)
            .values(default_version_id=version_id, update_date=now())
        )

    def delete_version(self, policy_id: str, version_id: str) -> None:
        self.conn.execute(
            delete(policy_versions).where(
                policy_versions.c.policy_id == policy_id,
                policy_versions.c.version_id == version_id,
            )
        )

    def default_document(self, arn: str) -> str | None:
        row = self.conn.execute(
            select(policy_versions.c.document)
            .join(policies, policies.c.id == policy_versions.c.policy_id)
            .where(
                policies.c.arn == arn, policy_versions.c.version_id == policies.c.default_version_id
            )
        ).first()
        return str(row[0]) if row else None

    # Inline policies -------------------------------------------------------------------

    def put_inline(self, owner_kind: str, owner_id: str, name: str, document: str) -> None:
        key = {"owner_kind": owner_kind, "owner_id": owner_id, "name": name}
        updated = self.conn.execute(
            update(inline_policies)
            .where(*(inline_policies.c[k] == v for k, v in key.items()))
            .values(document=document)
        )
        if not updated.rowcount:
            self.conn.execute(inline_policies.insert().values(**key, document=document))

    def get_inline(self, owner_kind: str, owner_id: str, name: str) -> InlinePolicy | None:
        row = self.conn.execute(
            select(inline_policies).where(
                inline_policies.c.owner_kind == owner_kind,
                inline_policies.c.owner_id == owner_id,
                inline_policies.c.name == name,
            )
        ).first()
        return to_record(InlinePolicy, row._mapping) if row else None

    def list_inline(self, owner_kind: str, owner_id: str) -> list[InlinePolicy]:
        rows = self.conn.execute(
            select(inline_policies)
            .where(
                inline_policies.c.owner_kind == owner_kind, inline_policies.c.owner_id == owner_id
            )
            .order_by(inline_policies.c.name)
        )
        return [to_record(InlinePolicy, r._mapping) for r in rows]

    def delete_inline(self, owner_kind: str, owner_id: str, name: str) -> bool:
        result = self.conn.execute(
            delete(inline_policies).where(
                inline_policies.c.owner_kind == owner_kind,
                inline_policies.c.owner_id == owner_id,
                inline_policies.c.name == name,
            )
        )
        return bool(result.rowcount)

    # Attachments -----------------------------------------------------------------------

    def attach(self, owner_kind: str, owner_id: str, arn: str) -> bool:
        exists = self.conn.execute(
            select(attachments.c.policy_arn).where(
                attachments.c.owner_kind == owner_kind,
                attachments.c.owner_id == owner_id,
                attachments.c.policy_arn == arn,
            )
        ).first()
        if exists:
            return False
        self.conn.execute(
            attachments.insert().values(
                owner_kind=owner_kind, owner_id=owner_id, policy_arn=arn, seq=seq()
            )
        )
        return True

    def detach(self, owner_kind: str, owner_id: str, arn: str) -> bool:
        result = self.conn.execute(
            delete(attachments).where(
                attachments.c.owner_kind == owner_kind,
                attachments.c.owner_id == owner_id,
                attachments.c.policy_arn == arn,
            )
        )
        return bool(result.rowcount)

    def attached(self, owner_kind: str, owner_id: str) -> list[str]:
        rows = self.conn.execute(
            select(attachments.c.policy_arn)
            .where(attachments.c.owner_kind == owner_kind, attachments.c.owner_id == owner_id)
            .order_by(attachments.c.seq)
        )
        return [str(r[0]) for r in rows]

    def attachments_of(self, arn: str) -> list[tuple[str, str]]:
        """``(owner_kind, owner_id)`` of every entity the policy is attached to."""
        rows = self.conn.execute(
            select(attachments.c.owner_kind, attachments.c.owner_id)
            .where(attachments.c.policy_arn == arn)
            .order_by(attachments.c.seq)
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    def replace_aws_managed(self, rows: list[dict[str, Any]]) -> None:
        """Load AWS managed policies (account ``aws``), replacing any earlier dataset.

        ``rows`` carry id, name, path, arn, default_version_id, document, create_date and
        update_date.  Attachments are kept: they refer to policies by ARN.
        """
        old = select(policies.c.id).where(policies.c.account_id == "aws")
        self.conn.execute(delete(policy_versions).where(policy_versions.c.policy_id.in_(old)))
        self.conn.execute(delete(policies).where(policies.c.account_id == "aws"))
        if not rows:
            return
        self.conn.execute(
            policies.insert(),
            [
                {
                    "id": r["id"],
                    "account_id": "aws",
                    "name": r["name"],
                    "name_lower": r["name"].lower(),
                    "path": r["path"],
                    "arn": r["arn"],
                    "create_date": r["create_date"],
                    "update_date": r["update_date"],
                    "default_version_id": r["default_version_id"],
                    "next_version": 0,
                    "description": None,
                    "is_attachable": True,
                }
                for r in rows
            ],
        )
        self.conn.execute(
            policy_versions.insert(),
            [
                {
                    "policy_id": r["id"],
                    "version_id": r["default_version_id"],
                    "document": r["document"],
                    "create_date": r["update_date"],
                }
                for r in rows
            ],
        )

    def usage(self, account_id: str, arns: list[str] | None = None) -> dict[str, tuple[int, int]]:
        """``arn -> (AttachmentCount, PermissionsBoundaryUsageCount)`` in one account, for the
        given policies (or every policy used there), in five grouped queries.

        AWS managed policies are shared by every account; each account sees only its own
        entities in the counts.  Policies used nowhere in the account are left out.
        """
        from iamd.store.schema import groups, roles, users

        counts: dict[str, list[int]] = {}
        for kind, table in (("user", users), ("group", groups), ("role", roles)):
            joined = attachments.join(
                table, (attachments.c.owner_kind == kind) & (attachments.c.owner_id == table.c.id)
            )
            query = (
                select(attachments.c.policy_arn, func.count())
                .select_from(joined)
                .where(table.c.account_id == account_id)
                .group_by(attachments.c.policy_arn)
            )
            if arns is not None:
                query = query.where(attachments.c.policy_arn.in_(arns))
            for arn, count in self.conn.execute(query):
                counts.setdefault(str(arn), [0, 0])[0] += int(count)
        for table in (users, roles):
            column = table.c.permissions_boundary
            query = (
                select(column, func.count())
                .where(table.c.account_id == account_id, column.is_not(None))
                .group_by(column)
            )
            if arns is not None:
                query = query.where(column.in_(arns))
            for arn, count in self.conn.execute(query):
                counts.setdefault(str(arn), [0, 0])[1] += int(count)
        return {arn: (pair[0], pair[1]) for arn, pair in counts.items()}

    def delete_owner(self, owner_kind: str, owner_id: str) -> None:
        """Drop an entity's inline policies and attachments (it is being deleted)."""
        self.conn.execute(
            delete(inline_policies).where(
                inline_policies.c.owner_kind == owner_kind, inline_policies.c.owner_id == owner_id
            )
        )
        self.conn.execute(
            delete(attachments).where(
                attachments.c.owner_kind == owner_kind, attachments.c.owner_id == owner_id
            )
        )

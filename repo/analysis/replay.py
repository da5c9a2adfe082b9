"""Replay ``migrations/`` into a :class:`Catalog`, offline, with sqlglot.

Every statement is either modelled (tables, columns, enums, domains), known to leave the
column catalog alone (indexes, comments, triggers, grants, ...), or listed as a
:class:`ReplayFinding`. Nothing is silently skipped. sqlglot keeps ``ALTER TYPE ... ADD VALUE``
and ``CREATE DOMAIN`` as opaque ``exp.Command`` text; their grammar is small and fixed, so they
are read from that text here rather than pulling in a second parser (pglast).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from ..migrate.source import Kind, Migration, resolve
from ..sqltext import line_col, split_statements, tokens
from . import pgtypes
from .catalog import Catalog, Column, Domain, ReplayFinding, Table, identifiers, sequence
from .infer import analyze_tree
from .parsing import quiet_parse

# Statements with no effect on tables, columns or types.
_NO_EFFECT_CREATE = {"INDEX", "TRIGGER", "FUNCTION", "PROCEDURE", "SEQUENCE", "SCHEMA",
                     "EXTENSION", "ROLE", "POLICY"}
_NO_EFFECT_NODES = (exp.Comment, exp.Grant, exp.Set, exp.Transaction, exp.Commit,
                    exp.TruncateTable)
# ALTER of objects that hold no columns.
_NO_EFFECT_ALTER = {"INDEX", "FUNCTION", "PROCEDURE", "ROLE", "SCHEMA", "EXTENSION", "TRIGGER",
                    "POLICY", "DATABASE", "SEQUENCE"}
_DML_NODES = (exp.Select, exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Union)
_NO_EFFECT_COMMANDS = re.compile(
    r"^\s*(CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE|TRIGGER|EXTENSION|SCHEMA|SEQUENCE|"
    r"(UNIQUE\s+)?INDEX|POLICY|ROLE|AGGREGATE)|GRANT|REVOKE|SET|RESET|COMMENT|"
    r"ALTER\s+(SEQUENCE|FUNCTION|ROLE|DEFAULT\s+PRIVILEGES|INDEX)|DROP\s+(INDEX|TRIGGER|"
    r"FUNCTION|PROCEDURE|SEQUENCE|EXTENSION|POLICY)|ANALYZE|VACUUM|NOTIFY|SELECT|BEGIN|COMMIT|"
    r"REINDEX|CLUSTER|LOCK)\b", re.I | re.S)
# ALTER TABLE forms sqlglot keeps as text that change no column's name, type, NOT NULL or
# default (constraints other than a primary key, storage, ownership, triggers, partitions).
_ALTER_TABLE_NO_EFFECT = re.compile(
    r"^\s*ALTER\s+TABLE\s+(IF\s+EXISTS\s+)?(ONLY\s+)?[\w.\"]+\s*\*?\s+("
    r"RENAME\s+CONSTRAINT|VALIDATE\s+CONSTRAINT|OWNER\s+TO|(ENABLE|DISABLE|FORCE|NO\s+FORCE)\s|"
    r"REPLICA\s+IDENTITY|ATTACH\s+PARTITION|DETACH\s+PARTITION|CLUSTER\s+ON|"
    r"SET\s+WITHOUT\s+CLUSTER|SET\s+TABLESPACE|ALTER\s+(COLUMN\s+)?[\w\"]+\s+(SET|RESET)\s+"
    r"(STATISTICS|STORAGE|COMPRESSION|\()|ADD\s+CONSTRAINT\s+[\w\"]+\s+(UNIQUE|EXCLUDE|CHECK|"
    r"FOREIGN)\b)", re.I | re.S)
_ALTER_MATVIEW = re.compile(
    r"^\s*ALTER\s+MATERIALIZED\s+VIEW\s+(IF\s+EXISTS\s+)?(?P<name>[\w.\"]+)\s+(?P<rest>.*)$",
    re.I | re.S)
_ADD_VALUE = re.compile(
    r"^\s*ALTER\s+TYPE\s+(?P<name>[\w.\"]+)\s+ADD\s+VALUE\s+(IF\s+NOT\s+EXISTS\s+)?"
    r"'(?P<label>(?:[^']|'')*)'\s*(?:(?P<where>BEFORE|AFTER)\s+'(?P<other>(?:[^']|'')*)')?\s*$",
    re.I | re.S)
_RENAME_VALUE = re.compile(
    r"^\s*ALTER\s+TYPE\s+(?P<name>[\w.\"]+)\s+RENAME\s+VALUE\s+'(?P<old>(?:[^']|'')*)'\s+TO\s+"
    r"'(?P<new>(?:[^']|'')*)'\s*$", re.I | re.S)
_DOMAIN = re.compile(
    r"^\s*CREATE\s+DOMAIN\s+(?P<name>[\w.\"]+)\s+(AS\s+)?(?P<rest>.*)$", re.I | re.S)
_DOMAIN_TAIL = re.compile(r"\s(NOT\s+NULL|NULL|DEFAULT|CHECK|CONSTRAINT|COLLATE)\b", re.I)
_RENAME_TYPE = re.compile(
    r"^\s*ALTER\s+TYPE\s+(?P<name>[\w.\"]+)\s+RENAME\s+TO\s+(?P<new>[\w\"]+)\s*$", re.I | re.S)
_TYPE_NO_EFFECT = re.compile(r"^\s*ALTER\s+TYPE\s+[\w.\"]+\s+OWNER\s+TO\b", re.I)
_RENAME_SEQUENCE = re.compile(
    r"^\s*ALTER\s+SEQUENCE\s+(IF\s+EXISTS\s+)?(?P<name>[\w.\"]+)\s+RENAME\s+TO\s+"
    r"(?P<new>[\w\"]+)\s*$", re.I | re.S)
_DROP_SEQUENCE = re.compile(r"^\s*DROP\s+SEQUENCE\s+(IF\s+EXISTS\s+)?(?P<names>[^;]*?)"
                            r"(\s+(CASCADE|RESTRICT))?\s*$", re.I | re.S)
_CREATE_SEQUENCE = re.compile(
    r"^\s*CREATE\s+(TEMP\s+|TEMPORARY\s+|UNLOGGED\s+)?SEQUENCE\s+(IF\s+NOT\s+EXISTS\s+)?"
    r"(?P<name>[\w.\"]+)", re.I)
_CREATE_FUNCTION = re.compile(
    r"^\s*CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+(?P<name>[\w.\"]+)", re.I)
_DO = re.compile(r"^\s*DO\b", re.I)
_CALL = re.compile(r"^\s*CALL\s+(?P<name>[\w.\"]+)", re.I)
# Statements inside a PL/pgSQL body that can change tables, columns or types. Anything else
# (DML, GRANT, CREATE ROLE, RAISE, ...) leaves the replayed schema as it is.
_BODY_DDL = re.compile(
    r"\b(ALTER\s+(TABLE|TYPE|DOMAIN|VIEW|SEQUENCE|MATERIALIZED)|CREATE\s+(OR\s+REPLACE\s+)?"
    r"(TABLE|TYPE|DOMAIN|VIEW|MATERIALIZED|SEQUENCE|UNLOGGED|TEMP|TEMPORARY|RECURSIVE\s+VIEW)\b|"
    r"DROP\s+(TABLE|TYPE|DOMAIN|VIEW|SEQUENCE|MATERIALIZED)|EXECUTE|IMPORT)\b", re.I)
_DROP_DOMAIN = re.compile(r"^\s*DROP\s+DOMAIN\s+(IF\s+EXISTS\s+)?(?P<names>[^;]*?)"
                          r"(\s+(CASCADE|RESTRICT))?\s*$", re.I | re.S)
# Opaque statements that may create or change relations invisibly.
_OPAQUE_DDL = re.compile(r"^\s*(DO|CALL|EXECUTE|IMPORT|CREATE\s+(FOREIGN|TEMP|UNLOGGED))\b",
                         re.I)


def ident(node: exp.Expr | str | None) -> str:
    """A name as PostgreSQL folds it: unquoted -> lower case; ``public.`` dropped."""
    if node is None:
        return ""
    if isinstance(node, str):
        text = node.strip()
        if text.startswith('"') and text.endswith('"'):
            return text[1:-1].replace('""', '"')
        name = text.lower()
        return name[len("public."):] if name.startswith("public.") else name
    if isinstance(node, exp.Identifier):
        return node.name if node.quoted else node.name.lower()
    if isinstance(node, exp.Table):
        return ident(node.this)
    if isinstance(node, exp.Column):
        return ident(node.this)
    return node.name.lower()


class _Replayer:
    def __init__(self) -> None:
        self.catalog = Catalog()
        self.path = Path()
        self.text = ""
        self.sql = ""
        self.offset = 0
        # Functions and procedures created so far whose body may change the schema: a
        # migration that calls one is as opaque as a DO block.
        self.ddl_functions: dict[str, str] = {}  # name -> body

    def finding(self, message: str, *, spread: bool = True) -> None:
        """List a statement the replay could not model. With ``spread``, every relation or type
        the statement names becomes uncertain: whatever it did to them is unknown."""
        line, col = line_col(self.text, self.offset)
        self.catalog.findings.append(ReplayFinding(self.path, line, col, message))
        if spread:
            self.doubt(self.sql)

    def doubt(self, sql: str) -> None:
        """Mark every known relation or type named in ``sql`` uncertain."""
        names = identifiers(sql)
        c = self.catalog
        c.mark_uncertain(names & (set(c.tables) | set(c.sequences)),
                         names & (set(c.enums) | set(c.domains)))

    def run_file(self, path: Path, text: str) -> None:
        self.path, self.text = path, text
        for start, stmt in split_statements(text):
            self.offset = start + _leading_noise(stmt)
            self.statement(stmt)

    def statement(self, sql: str) -> None:
        self.sql = sql
        try:
            node = quiet_parse(sql)
        except ParseError as exc:
            self.finding(f"cannot parse this statement offline ({_first_line(exc)}); "
                         "its effect on the schema is not modelled")
            self.catalog.complete = False
            return
        self.node(node, sql)

    def node(self, node: exp.Expr, sql: str) -> None:
        if isinstance(node, exp.Create):
            self.create(node, sql)
        elif isinstance(node, exp.Alter):
            self.alter(node)
        elif isinstance(node, exp.Drop):
            self.drop(node)
        elif isinstance(node, exp.Command):
            self.command(sql)
        elif isinstance(node, exp.Select) and node.args.get("into") is not None:
            self.catalog.complete = False
            self.finding("SELECT ... INTO creates a table whose columns are not modelled")
        elif isinstance(node, _DML_NODES):
            # Data changes leave the schema alone, unless they call DDL-running functions.
            self.calls(sql)
        elif not isinstance(node, _NO_EFFECT_NODES):
            self.finding(f"statement {type(node).__name__} is not modelled by the replay")

    # CREATE ---------------------------------------------------------------------------------
    def create(self, node: exp.Create, sql: str = "") -> None:
        kind = str(node.args.get("kind") or "").upper()
        target = node.this.this if isinstance(node.this, exp.Schema) else node.this
        if isinstance(target, exp.UserDefinedFunction):
            target = target.this
        name = ident(target)
        if kind == "TABLE":
            self.create_table(node, name)
        elif kind == "TYPE" and isinstance(node.expression, exp.DataType) \
                and node.expression.this == exp.DType.ENUM:
            if not (node.args.get("exists") and name in self.catalog.enums):
                self.catalog.enums[name] = [e.name for e in node.expression.expressions]
        elif kind == "TYPE" and isinstance(node.expression, exp.Schema):
            self.catalog.composites[name] = [
                (ident(c.this), self.type_name(c.args["kind"]))
                for c in node.expression.expressions
                if isinstance(c, exp.ColumnDef) and isinstance(c.args.get("kind"), exp.DataType)]
        elif kind in ("VIEW", "MATERIALIZED VIEW") or node.args.get("materialized"):
            self.create_view(node, name, sql)
        elif kind == "SEQUENCE":
            if not (node.args.get("exists") and name in self.catalog.sequences):
                self.catalog.sequences[name] = sequence(name)
        elif kind in ("FUNCTION", "PROCEDURE"):
            self.remember_function(name, sql)
        elif kind not in _NO_EFFECT_CREATE:
            self.finding(f"CREATE {kind or '?'} {name} is not modelled by the replay")

    def create_view(self, node: exp.Create, name: str, sql: str) -> None:
        """A view's columns are the analysed output of its query at this point."""
        if node.args.get("exists") and name in self.catalog.tables:
            return
        view = Table(name, kind="view")
        result = analyze_tree(node.expression, sql, self.catalog) if node.expression else None
        if result is None or not result.columns_known or result.problems or any(
                self.catalog.is_uncertain(ident(t)) for t in node.expression.find_all(exp.Table)):
            view.exact = False
            self.finding(f"view {name}: its columns could not be derived; queries reading it "
                         "are not checked statically", spread=False)
        else:
            view.depends = {ident(t) for t in node.expression.find_all(exp.Table)} \
                if node.expression else set()
            names = [ident(i) for i in node.this.expressions] \
                if isinstance(node.this, exp.Schema) else []
            for i, c in enumerate(result.columns):
                col_name = names[i] if i < len(names) else c.name
                # PostgreSQL reports every view column as nullable (no attnotnull).
                view.columns[col_name] = Column(col_name, c.val.type or "", False, False)
        self.catalog.tables[name] = view

    def create_table(self, node: exp.Create, name: str) -> None:
        if node.args.get("exists") and name in self.catalog.tables:
            return
        table = Table(name)
        if self.partition_of(table, node):
            pass
        elif not isinstance(node.this, exp.Schema) or node.expression is not None:
            table.exact = False
            self.finding(f"CREATE TABLE {name} AS/PARTITION OF ... : columns not modelled",
                         spread=False)
        else:
            self.inherit(table, node)
            for item in node.this.expressions:
                self.table_item(table, item)
        self.catalog.tables[name] = table
        self.owned_sequences(table)

    def partition_of(self, table: Table, node: exp.Create) -> bool:
        """``CREATE TABLE p PARTITION OF parent ...``: the parent's columns, in its order."""
        props = node.args.get("properties")
        part = next((p for p in props.expressions if isinstance(p, exp.PartitionedOfProperty)),
                    None) if props else None
        if part is None:
            return False
        parent = self.catalog.tables.get(ident(part.this))
        if parent is None:
            table.exact = False
            self.finding(f"CREATE TABLE {table.name} PARTITION OF {ident(part.this)}: no such "
                         "table in the replayed schema")
            return True
        table.depends.add(parent.name)
        table.exact = parent.exact
        table.columns = {n: copy.copy(c) for n, c in parent.columns.items()}
        if isinstance(node.this, exp.Schema):  # extra constraints on inherited columns
            for item in node.this.expressions:
                self.table_item(table, item)
        return True

    def inherit(self, table: Table, node: exp.Create) -> None:
        """``INHERITS (parent, ...)``: the parents' columns come first, NOT NULL included."""
        props = node.args.get("properties")
        for prop in props.expressions if props else []:
            if not isinstance(prop, exp.InheritsProperty):
                continue
            for parent_node in prop.expressions:
                parent = self.catalog.tables.get(ident(parent_node))
                if parent is None:
                    self.finding(f"CREATE TABLE {table.name} INHERITS {ident(parent_node)}: no "
                                 "such table in the replayed schema")
                    continue
                table.depends.add(parent.name)
                for col in parent.columns.values():
                    table.columns.setdefault(col.name, copy.copy(col))
                table.exact = table.exact and parent.exact

    def owned_sequences(self, table: Table) -> None:
        """SERIAL and identity columns own a sequence named ``<table>_<column>_seq``."""
        for col in table.columns.values():
            if col.owns_sequence:
                seq = f"{table.name}_{col.name}_seq"
                self.catalog.sequences.setdefault(seq, sequence(seq, table.name))

    def table_item(self, table: Table, item: exp.Expr) -> None:
        if isinstance(item, exp.ColumnDef):
            col = self.column_def(item)
            table.columns[col.name] = col
        elif isinstance(item, exp.PrimaryKey):
            self.primary_key(table, item.expressions)
        elif isinstance(item, exp.LikeProperty):
            table.exact = False
            self.finding(f"CREATE TABLE {table.name} (LIKE ...): copied columns not modelled",
                         spread=False)

    def primary_key(self, table: Table, names: Iterable[exp.Expr]) -> None:
        for n in names:
            col = table.columns.get(ident(n.this if isinstance(n, exp.Ordered) else n))
            if col is not None:
                col.not_null = True

    def column_def(self, item: exp.ColumnDef) -> Column:
        kind = item.args.get("kind")
        pg = self.type_name(kind) if isinstance(kind, exp.DataType) else "unknown"
        col = Column(ident(item.this), pg)
        if isinstance(kind, exp.DataType) and isinstance(kind.this, exp.DType) \
                and kind.this.name in pgtypes.SERIALS:
            col.not_null = col.has_default = col.owns_sequence = True
        # A domain's NOT NULL is not the column's attnotnull (what SQLx reports), so it is
        # deliberately not copied here.
        for cons in item.args.get("constraints") or []:
            self.column_constraint(col, cons.args.get("kind"))
        return col

    def column_constraint(self, col: Column, kind: exp.Expr | None) -> None:
        if isinstance(kind, exp.NotNullColumnConstraint):
            col.not_null = not kind.args.get("allow_null")
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            col.not_null = True
        elif isinstance(kind, exp.DefaultColumnConstraint):
            col.has_default = not _is_null(kind.this)
        elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
            col.not_null = col.has_default = col.owns_sequence = True
        elif isinstance(kind, exp.ComputedColumnConstraint):
            col.generated = True

    def type_name(self, dt: exp.DataType) -> str:
        pg = pgtypes.from_datatype(dt)
        base = pgtypes.element(pg)
        if base not in pgtypes.BUILTINS and base not in pgtypes.OTHER_BUILTINS \
                and base not in self.catalog.enums and base not in self.catalog.domains \
                and base not in self.catalog.composites:
            self.finding(f"type {base} is not known to the replay (extension or composite "
                         "type?); columns of this type are not checked", spread=False)
        return pg

    # ALTER ----------------------------------------------------------------------------------
    def alter(self, node: exp.Alter) -> None:
        kind = str(node.args.get("kind") or "").upper()
        name = ident(node.this)
        actions = node.args.get("actions") or []
        if kind in ("VIEW", "SEQUENCE", "MATERIALIZED VIEW") and len(actions) == 1 \
                and isinstance(actions[0], exp.AlterRename) and not node.args.get("options"):
            self.rename_relation(name, ident(actions[0].this))
            return
        if kind in _NO_EFFECT_ALTER:
            return
        if kind != "TABLE":
            self.finding(f"ALTER {kind} {name} is not modelled by the replay")
            return
        table = self.catalog.tables.get(name)
        if table is None:
            if not node.args.get("exists"):
                self.finding(f"ALTER TABLE {name}: no such table in the replayed schema")
            return
        for action in node.args.get("actions") or []:
            self.alter_action(node, table, action)
        children = [t for t in self.catalog.tables.values()
                    if t.kind == "table" and table.name in t.depends]
        if children:  # inherited column changes are not replayed on children
            self.catalog.mark_uncertain([t.name for t in children])

    def alter_action(self, node: exp.Alter, table: Table, action: exp.Expr) -> None:
        if isinstance(action, exp.ColumnDef):
            col = self.column_def(action)
            if not (action.args.get("exists") and col.name in table.columns):
                table.columns[col.name] = col
                self.owned_sequences(table)
        elif isinstance(action, exp.AlterColumn):
            self.alter_column(table, action)
        elif isinstance(action, exp.RenameColumn):
            self.rename_column(table, ident(action.this), ident(action.args.get("to")),
                               bool(action.args.get("exists")))
        elif isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() \
                == "CONSTRAINT":
            return  # NOT NULL stays even when a primary key is dropped
        elif isinstance(action, exp.AlterSet):
            return  # storage parameters, LOGGED/UNLOGGED, tablespace
        elif isinstance(action, exp.Drop):
            for c in action.args.get("tables") or []:
                if table.columns.pop(ident(c), None) is None and not action.args.get("exists"):
                    self.finding(f"DROP COLUMN {ident(c)}: no such column in {table.name}")
        elif isinstance(action, exp.AlterRename):
            self.alter_rename(node, table, action)
        elif isinstance(action, exp.AddConstraint):
            for cons in action.expressions:
                if isinstance(cons, exp.PrimaryKey):
                    self.primary_key(table, cons.expressions)
        else:
            table.exact = False
            self.finding(f"ALTER TABLE {table.name}: action {action.sql('postgres')[:60]!r} "
                         "is not modelled", spread=False)

    def alter_rename(self, node: exp.Alter, table: Table, action: exp.AlterRename) -> None:
        options = node.args.get("options") or []
        to = next((o for o in options if isinstance(o, exp.ToTableProperty)), None)
        if to is not None:  # `RENAME a TO b` (COLUMN omitted) parses as a table rename
            self.rename_column(table, ident(action.this), ident(to.this), False)
            return
        new = ident(action.this)
        del self.catalog.tables[table.name]
        table.name = new
        self.catalog.tables[new] = table

    def rename_relation(self, old: str, new: str) -> None:
        """``ALTER VIEW/SEQUENCE/MATERIALIZED VIEW old RENAME TO new``."""
        for store in (self.catalog.tables, self.catalog.sequences):
            rel = store.pop(old, None)
            if rel is not None:
                rel.name = new
                store[new] = rel
                return
        self.finding(f"RENAME {old}: no such relation in the replayed schema")

    def rename_column(self, table: Table, old: str, new: str, if_exists: bool) -> None:
        col = table.columns.get(old)
        if col is None:
            if not if_exists:
                self.finding(f"RENAME COLUMN {old}: no such column in {table.name}")
            return
        col.name = new
        table.columns = {(new if k == old else k): v for k, v in table.columns.items()}

    def alter_column(self, table: Table, action: exp.AlterColumn) -> None:
        col = table.columns.get(ident(action.this))
        if col is None:
            self.finding(f"ALTER COLUMN {ident(action.this)}: no such column in {table.name}")
            return
        args = action.args
        if isinstance(args.get("dtype"), exp.DataType):
            col.type = self.type_name(args["dtype"])
        elif "allow_null" in args and args["allow_null"] is not None:
            col.not_null = not args["allow_null"]
        elif args.get("drop"):
            col.has_default = False
        elif args.get("default") is not None:
            col.has_default = not _is_null(args["default"])
        else:
            table.exact = False
            self.finding(f"ALTER COLUMN {col.name} {action.sql('postgres')[:60]!r} is not "
                         "modelled", spread=False)

    # DROP -----------------------------------------------------------------------------------
    def drop(self, node: exp.Drop) -> None:
        kind = str(node.args.get("kind") or "").upper()
        for target in node.args.get("tables") or []:
            name = ident(target)
            store: dict[str, object] | None = {
                "TABLE": self.catalog.tables, "VIEW": self.catalog.tables,
                "TYPE": self.catalog.enums}.get(kind)  # type: ignore[assignment]
            if store is None:
                if kind not in _NO_EFFECT_CREATE:
                    self.finding(f"DROP {kind} {name} is not modelled by the replay")
                continue
            if store.pop(name, None) is None and kind == "TYPE":
                self.catalog.domains.pop(name, None)
                self.catalog.composites.pop(name, None)
            if kind == "TABLE":
                for seq in [s for s, t in self.catalog.sequences.items() if name in t.depends]:
                    del self.catalog.sequences[seq]

    # Opaque commands ------------------------------------------------------------------------
    def command(self, sql: str) -> None:
        body = _strip_comments(sql)
        if _DO.match(body) or _CALL.match(body):
            self.opaque_code(body)
        elif m := _CREATE_FUNCTION.match(body):
            self.remember_function(ident(m["name"]), body)
        elif m := _RENAME_TYPE.match(body):
            self.rename_type(ident(m["name"]), ident(m["new"]))
        elif _TYPE_NO_EFFECT.match(body) or _ALTER_TABLE_NO_EFFECT.match(body):
            return
        elif m := _ALTER_MATVIEW.match(body):
            if re.match(r"RENAME\s+TO\s+", m["rest"], re.I):
                self.rename_relation(ident(m["name"]), ident(m["rest"].split()[-1]))
            elif not re.match(r"(OWNER|SET\s+(TABLESPACE|\()|RESET|CLUSTER)\b", m["rest"], re.I):
                self.finding(f"ALTER MATERIALIZED VIEW {ident(m['name'])} is not modelled")
        elif m := _CREATE_SEQUENCE.match(body):
            name = ident(m["name"])
            self.catalog.sequences.setdefault(name, sequence(name))
        elif m := _RENAME_SEQUENCE.match(body):
            seq = self.catalog.sequences.pop(ident(m["name"]), None)
            if seq is not None:
                seq.name = ident(m["new"])
                self.catalog.sequences[seq.name] = seq
        elif m := _DROP_SEQUENCE.match(body):
            for n in m["names"].split(","):
                self.catalog.sequences.pop(ident(n), None)
        elif _SELECT.match(body):
            self.calls(body)
        elif m := _ADD_VALUE.match(body):
            self.add_value(ident(m["name"]), m["label"].replace("''", "'"),
                           m["where"], (m["other"] or "").replace("''", "'"))
        elif m := _RENAME_VALUE.match(body):
            labels = self.catalog.enums.get(ident(m["name"]), [])
            old = m["old"].replace("''", "'")
            self.catalog.enums[ident(m["name"])] = [
                m["new"].replace("''", "'") if x == old else x for x in labels]
        elif m := _DOMAIN.match(body):
            self.create_domain(ident(m["name"]), m["rest"])
        elif m := _DROP_DOMAIN.match(body):
            for n in m["names"].split(","):
                self.catalog.domains.pop(ident(n), None)
        elif _NO_EFFECT_COMMANDS.match(body):
            return
        else:
            if _OPAQUE_DDL.match(body):
                self.catalog.complete = False
            self.finding(f"statement {body.split()[0].upper()} ... is kept as opaque text by "
                         "the parser; its effect on the schema is not modelled")

    def remember_function(self, name: str, sql: str) -> None:
        body = _body_of(sql)
        if _BODY_DDL.search(body) or {ident(m[1]) for m in _CALLED.finditer(body)} \
                & set(self.ddl_functions):
            self.ddl_functions[name] = body
        else:
            self.ddl_functions.pop(name, None)

    def calls(self, sql: str) -> None:
        """A statement that calls a function able to change the schema is opaque."""
        called = {ident(m[1]) for m in _CALLED.finditer(sql)}
        if called & set(self.ddl_functions):
            self.opaque_code(sql)

    def opaque_code(self, body: str) -> None:
        """A DO block or a call of a function: modelled when it cannot change the schema,
        else listed, and every relation or type it names becomes uncertain."""
        code = _body_of(body)
        called = {ident(m[1]) for m in _CALLED.finditer(code)}
        if _CALL.match(body):
            called.add(ident(_CALL.match(body)["name"]))  # type: ignore[index]
        functions = [self.ddl_functions[n] for n in sorted(called & set(self.ddl_functions))]
        if not _BODY_DDL.search(code) and not functions:
            return
        if not functions and _DO.match(body) and self.straight_line(code):
            return
        # It may also create relations the replay never sees: a missing one is then no error.
        self.catalog.complete = False
        self.finding(f"{body.split()[0].upper()} ... changes the schema in procedural code, "
                     "which the replay cannot model; the relations and types its DDL names are "
                     "not checked", spread=False)
        for text in [code, *functions]:
            for m in _BODY_DDL.finditer(text):
                end = text.find(";", m.end())
                self.doubt(text[m.start():end if end >= 0 else len(text)])

    def straight_line(self, code: str) -> bool:
        """Replay a DO body that is a plain sequence of SQL statements (no branches, loops,
        exception handlers or dynamic SQL): it runs exactly like a migration file."""
        statements = _plain_statements(code)
        if statements is None:
            return False
        sql, offset = self.sql, self.offset
        for stmt in statements:
            self.statement(stmt)
        self.sql, self.offset = sql, offset
        return True

    def rename_type(self, old: str, new: str) -> None:
        """``ALTER TYPE old RENAME TO new``: columns, arrays and domains follow the type."""
        c = self.catalog
        if old in c.enums:
            c.enums[new] = c.enums.pop(old)
        elif old in c.domains:
            domain = c.domains.pop(old)
            domain.name = new
            c.domains[new] = domain
        elif old in c.composites:
            c.composites[new] = c.composites.pop(old)
        else:
            self.finding(f"ALTER TYPE {old} RENAME TO {new}: no such enum or domain in the "
                         "replayed schema")
            return
        if old in c.uncertain_types:
            c.uncertain_types.add(new)
        renames = {old: new, old + "[]": new + "[]"}
        for table in c.tables.values():
            for col in table.columns.values():
                col.type = renames.get(col.type, col.type)
        for domain in c.domains.values():
            domain.base = renames.get(domain.base, domain.base)

    def add_value(self, name: str, label: str, where: str | None, other: str) -> None:
        labels = self.catalog.enums.get(name)
        if labels is None:
            self.finding(f"ALTER TYPE {name} ADD VALUE: no such enum in the replayed schema")
            return
        if label in labels:
            return
        if where and other in labels:
            at = labels.index(other) + (1 if where.upper() == "AFTER" else 0)
            labels.insert(at, label)
        else:
            labels.append(label)

    def create_domain(self, name: str, rest: str) -> None:
        tail = _DOMAIN_TAIL.search(" " + rest)
        type_text = (rest[: tail.start() - 1] if tail else rest).strip()
        try:
            cast = sqlglot.parse_one(f"SELECT CAST(NULL AS {type_text})", read="postgres")
            base = self.type_name(cast.expressions[0].to)
        except (ParseError, AttributeError):
            self.finding(f"CREATE DOMAIN {name}: base type {type_text!r} not understood")
            return
        not_null = bool(re.search(r"\bNOT\s+NULL\b", rest, re.I))
        self.catalog.domains[name] = Domain(name, base, not_null)


_SELECT = re.compile(r"^\s*SELECT\b", re.I)
_CALLED = re.compile(r"([\w.\"]+)\s*\(")


# First words of PL/pgSQL statements that branch, loop, trap errors or run dynamic SQL.
_CONTROL = {"if", "elsif", "else", "loop", "for", "foreach", "while", "exit", "continue",
            "return", "case", "exception", "execute", "perform", "begin", "declare", "get",
            "open", "fetch", "close", "call", "commit", "rollback", "end", "<<"}
_PLAIN_BODY = re.compile(r"^\$(?P<tag>\w*)\$\s*(DECLARE\b(?P<decl>.*?))?\bBEGIN\b(?P<body>.*)"
                         r"\bEND\s*;?\s*\$(?P=tag)\$$", re.I | re.S)


def _plain_statements(code: str) -> list[str] | None:
    """The statements of ``$$ [DECLARE ...] BEGIN s1; s2; END $$`` when every one is plain
    SQL (RAISE included), else None."""
    m = _PLAIN_BODY.match(_strip_comments(code).strip())
    if m is None:
        return None
    out: list[str] = []
    for _, stmt in split_statements(m["body"]):
        words = _strip_comments(stmt).split()
        first = words[0].lower() if words else ""
        if first in _CONTROL or first.startswith("<<") or ":=" in stmt:
            return None
        if first != "raise":
            out.append(stmt)
    return out


def _body_of(sql: str) -> str:
    """The text of the dollar-quoted bodies in ``sql`` (all of it when there is none)."""
    bodies = [sql[t.start:t.end] for t in tokens(sql) if t.kind == "dollar"]
    return "\n".join(bodies) if bodies else sql


def _is_null(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Null)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def _leading_noise(stmt: str) -> int:
    for tok in tokens(stmt):
        if tok.kind not in ("space", "comment"):
            return tok.start
    return 0


def _strip_comments(sql: str) -> str:
    return "".join(sql[t.start:t.end] if t.kind != "comment" else " " for t in tokens(sql))


def replay(migrations: Iterable[Migration]) -> Catalog:
    """Apply the forward migrations (simple and ``.up``), in version order, to an empty catalog."""
    r = _Replayer()
    for m in sorted(migrations, key=lambda m: m.version):
        if m.kind is not Kind.DOWN:
            r.run_file(m.path, m.executable_sql)
    return r.catalog


_CATALOGS: dict[tuple[str, tuple[tuple[str, bytes], ...]], Catalog] = {}


def load_catalog(migrations_dir: Path) -> Catalog:
    """Replay a migrations directory (``repo.migrate.resolve`` order and rules).

    The result is shared between callers while the files are unchanged (verify and codegen
    then share one catalog and its analysis cache); treat it as read-only.
    """
    migrations = resolve(migrations_dir)
    key = (str(migrations_dir.resolve()), tuple((str(m.path), m.checksum) for m in migrations))
    catalog = _CATALOGS.get(key)
    if catalog is None:
        if len(_CATALOGS) > 16:
            _CATALOGS.clear()
        catalog = _CATALOGS[key] = replay(migrations)
    return catalog

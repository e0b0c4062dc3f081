// Package plan holds the query planner's decisions as pure functions over
// plain values: which key range reads a table (access path), which
// predicates go to which table (pushdown), in what order the tables of a
// join are joined and by which algorithm, the cost model behind those
// choices, and the output shape of a SELECT (what its ORDER BY, GROUP BY
// and DISTINCT ON items name, and in what order its output operators
// stack). It imports neither storage nor sql/exec: everything it decides
// on is passed in (table shapes, key columns, estimated row counts,
// predicate shapes, output column names), so each decision is
// table-tested without a database. It may read pg_query's parse tree
// (sql/parser's output), which stays behind sql/parser and this package.
//
// The target layout and the order in which the rest of the builder moves
// here are in docs/architecture.md.
//
// # Layout of the SQL engine (read this before adding planner code)
//
//	sql/parser   pg_query adapter: statements, positions, deparse.
//	sql/plan     this package — decisions, no execution:
//	               access.go   Key, KeyPred, ChooseAccess: the key range
//	                           (primary key or secondary index; equality
//	                           prefix, IN list, range) of one table scan.
//	               join.go     Relation, Conjunct, PlanJoin: predicate
//	                           classification and pushdown, join order
//	                           (dynamic programming over left-deep orders
//	                           up to MaxDPRelations, greedy beyond) and the
//	                           algorithm of each join step (hash, index
//	                           nested loop, nested loop).
//	               cost.go     the cost model: selectivities and the cost
//	                           of each join algorithm.
//	               relset.go   RelSet, a set of relations of one FROM list.
//	               names.go    name resolution: ColumnNameOf, ResolveColumn
//	                           binds [table.]name over the query's row and
//	                           the enclosing queries' into a Scoped
//	                           (depth, ordinal) — the bound form of a column
//	                           reference exec compiles; HasTable.
//	               bind.go     the binder's first family: Expr, the bound
//	                           form of an expression; BindConst (literal
//	                           typing, an unknown literal adopting its
//	                           context's type, NumericConst), BindParam
//	                           ($n and its inferred type), BindColumnRef
//	                           (a Var: Scoped plus type). exec compiles
//	                           these; it binds the other families itself.
//	               ops.go      operator resolution (the second family):
//	                           ResolveBinaryOp, ResolveCompare, ResolveLike,
//	                           ResolvePrefixOp pick the operator for the
//	                           operand types (exact match, implicit casts,
//	                           unknown literals, the category's preferred
//	                           type) as a ResolvedOp: its class, the reads
//	                           of untyped literals, the casts of each input,
//	                           the type computed in and the result type;
//	                           CommonOperandType, StringCommonType.
//	               bindop.go   BindOperator: an operator expression's
//	                           operands bound with the hints its candidates
//	                           give (through exec's OperandBinder while the
//	                           other families bind there), then resolved:
//	                           an OpExpr (Inputs: its operands under the
//	                           resolution's reads and casts).
//	               bindcond.go conditional expressions (the fourth
//	                           family): BindCase, BindVariadic (COALESCE,
//	                           GREATEST, LEAST) and their Resolve;
//	                           CommonType (select_common_type), ToCommon.
//	               bindagg.go  aggregate calls (the fifth family):
//	                           BindAggCall reads DISTINCT, ORDER BY inside
//	                           the call, WITHIN GROUP and FILTER, binds the
//	                           parts through exec's AggBinder and types the
//	                           call (AggResultType, the casts of string_agg,
//	                           array_agg, the json and ordered-set
//	                           aggregates): an AggCall. LocatedError is an
//	                           error the caller positions.
//	               funcs.go    function calls: ResolveFunc is PostgreSQL's
//	                           func_select_candidate (exact match, implicit
//	                           casts — CanImplicit —, most exact matches,
//	                           the preferred type of the category —
//	                           TypeCategory, IsPreferred —, the category of
//	                           an untyped argument, the known arguments'
//	                           type) over the candidates declared here
//	                           (FuncCandidates: the math functions);
//	                           BindFuncCall binds a call, resolving those and
//	                           converting its arguments, into a FuncCall
//	                           (other functions: BindFuncArgs, bound with
//	                           exec's hints and typed by exec's tables).
//	               bindcast.go casts (the third family): Cast (explicit,
//	                           implicit, or the Read of an untyped
//	                           operand), TypeOf (a type name), CastHint,
//	                           BindCast, IsRegType.
//	               locks.go    TargetLocks (the table locks a statement
//	                           takes on its target before planning),
//	                           IsDML, MayWriteCatalog, LockTableOf (LOCK
//	                           TABLE described).
//	               constraints.go  ApplyConstraintAttrs (DEFERRABLE /
//	                           INITIALLY checks), RefuseDeferrableKey,
//	                           SetConstraintsOf (SET CONSTRAINTS
//	                           described).
//	               utility_roles.go  the role and privilege statements
//	                           read into values (AuthStatementOf:
//	                           CreateRole, AlterRole, DropRole,
//	                           RenameRole, GrantRole, Grant) with the
//	                           refusals that depend only on the text;
//	                           exec/roles.go, grants.go run them.
//	               privileges.go  TargetPrivilegesOf: what a statement
//	                           needs on its target (PrivNeed, DMLTarget);
//	                           exec/privileges.go records and checks it.
//	               label.go    ColumnLabel: the name of an output column
//	                           written without AS (FigureColname); LastName.
//	               output.go   the output of a SELECT: ItemOf classifies an
//	                           ORDER BY / DISTINCT ON / GROUP BY item
//	                           (position, bare name, expression);
//	                           ResolveOrderItem and ResolveGroupItem decide
//	                           what it names (PostgreSQL's
//	                           findTargetlistEntrySQL92); SortOf, DistinctOf;
//	                           KeyOrdered (a primary-key scan instead of a
//	                           sort); DistinctOnKeys and DistinctSortKeys
//	                           (42P10 checks, the keys to sort by);
//	                           OutputSteps, the order of project, DISTINCT,
//	                           sort, DISTINCT ON, row locks, LIMIT and trim.
//	sql/exec     binding and expression compilation (pg_query → closures
//	             with types), the iterators (scans, joins, aggregates,
//	             sorts, set operations, DML) and their memory accounting.
//	             The exec builder describes each SELECT's FROM/WHERE to this
//	             package (relations with row counts and keys, conjuncts with
//	             the relations they read) and builds iterators from the
//	             answer; it keeps no decision logic of its own there:
//	               exec/access.go    table scans → ChooseAccess
//	               exec/joinplan.go  inner joins → PlanJoin (flattening,
//	                                 conjunct description, row counts)
//	               exec/hashjoin.go  hash join, index nested loop
//	               exec/join.go      nested loop (inner/left/full), USING
//	               exec/selectplan.go  buildOutput → OutputSteps,
//	                                 ResolveOrderItem, KeyOrdered,
//	                                 DistinctSortKeys; it compiles the
//	                                 select list and the sort expressions
//	               exec/distincton.go  DISTINCT ON → DistinctOnKeys
//	               exec/groupby.go   GROUP BY items → ResolveGroupItem
//	               exec/scope.go, expr.go  constants, parameters and
//	                                 column references → BindConst,
//	                                 BindParam, BindColumnRef (colInfo is
//	                                 a TypedColumn), then compileConst,
//	                                 compileParam, compileScoped
//	               exec/expr.go, funcs_ops.go  operators →
//	                                 BindOperator / ResolveBinaryOp, then
//	                                 compileOpExpr, buildOp (the json and
//	                                 array classes through their tables)
//	               exec/expr.go  casts → TypeOf, BindCast, then
//	                                 compileExplicitCast; the casts in an
//	                                 OpExpr's inputs → compileImplicit
//	               exec/tablelock.go, catlock.go  TargetLocks, IsDML,
//	                                 MayWriteCatalog, LockTableOf
//	               exec/deferred.go, ddl*.go  SetConstraintsOf,
//	                                 ApplyConstraintAttrs,
//	                                 RefuseDeferrableKey
//	sql/types    values, casts, comparisons, and the numeric conversions
//	             (Float64Of, Int64Of) everything else uses.
//
// What still lives in sql/exec's builder and moves here next (in the
// order docs/architecture.md gives): the named steps of INSERT and CREATE
// TABLE, the column model (exec's colInfo becoming plan.Column), binding
// and type resolution of the remaining expression families (functions,
// aggregates, window calls, sublinks) into plan.Expr, the logical plan tree of a SELECT (aggregation, windows, set
// operations), and the transaction code into its own package (sql/txn). New planner decisions go
// here as pure functions; the executor only carries them out.
//
// # Conventions
//
// Relations are numbered by their position in the FROM list (0-based) and
// sets of them are RelSets. Columns are (relation, ordinal) pairs. Row
// counts are estimates (float64); nothing here reads data. Results are new
// values owned by the caller; inputs are not modified.
package plan

package pgerror

// Code is a five-character SQLSTATE. The names follow PostgreSQL's
// errcodes.txt (src/backend/utils/errcodes.txt).
type Code string

const (
	SuccessfulCompletion Code = "00000"
	Warning              Code = "01000"

	ConnectionException        Code = "08000"
	ConnectionFailure          Code = "08006"
	ProtocolViolation          Code = "08P01"
	FeatureNotSupported        Code = "0A000"
	InvalidTransactionState    Code = "25000"
	ActiveSQLTransaction       Code = "25001"
	NoActiveSQLTransaction     Code = "25P01"
	InFailedSQLTransaction     Code = "25P02"
	ReadOnlySQLTransaction     Code = "25006"
	InvalidAuthorization       Code = "28000"
	InvalidPassword            Code = "28P01"
	InvalidCatalogName         Code = "3D000"
	InvalidSchemaName          Code = "3F000"
	InvalidCursorName          Code = "34000"
	InvalidSavepointSpec       Code = "3B001"
	InvalidSQLStatementName    Code = "26000"
	SerializationFailure       Code = "40001"
	DeadlockDetected           Code = "40P01"
	TransactionRollback        Code = "40000"
	StatementCompletionUnknown Code = "40003"
	SyntaxErrorOrAccessRule    Code = "42000"
	SyntaxError                Code = "42601"
	InsufficientPrivilege      Code = "42501"
	UndefinedColumn            Code = "42703"
	UndefinedFunction          Code = "42883"
	UndefinedTable             Code = "42P01"
	UndefinedObject            Code = "42704"
	UndefinedParameter         Code = "42P02"
	DuplicateColumn            Code = "42701"
	DuplicateTable             Code = "42P07"
	DuplicateObject            Code = "42710"
	DuplicatePreparedStmt      Code = "42P05"
	DuplicateCursor            Code = "42P03"
	AmbiguousColumn            Code = "42702"
	AmbiguousFunction          Code = "42725"
	AmbiguousAlias             Code = "42P09"
	GroupingError              Code = "42803"
	WindowingError             Code = "42P20"
	DatatypeMismatch           Code = "42804"
	WrongObjectType            Code = "42809"
	InvalidColumnReference     Code = "42P10"
	InvalidTableDefinition     Code = "42P16"
	InvalidObjectDefinition    Code = "42P17"
	InvalidForeignKey          Code = "42830"
	InvalidColumnDefinition    Code = "42611"
	InvalidName                Code = "42602"
	NameTooLong                Code = "42622"
	CannotCoerce               Code = "42846"
	IndeterminateDatatype      Code = "42P18"
	DuplicateAlias             Code = "42712"
	InvalidRecursion           Code = "42P19"
	DependentObjectsExist      Code = "2BP01"
	ReservedName               Code = "42939"
	InvalidGrantOperation      Code = "0LP01"
	InvalidRoleSpecification   Code = "0P000"
	InvalidParameterValue      Code = "22023"
	ObjectNotInPrereqState     Code = "55000"
	CantChangeRuntimeParam     Code = "55P02"
	ObjectInUse                Code = "55006"
	LockNotAvailable           Code = "55P03"

	DataException                 Code = "22000"
	StringDataRightTruncation     Code = "22001"
	NumericValueOutOfRange        Code = "22003"
	NullValueNotAllowed           Code = "22004"
	InvalidDatetimeFormat         Code = "22007"
	DatetimeFieldOverflow         Code = "22008"
	InvalidTimeZoneDisplacement   Code = "22009"
	CharacterNotInRepertoire      Code = "22021"
	DivisionByZero                Code = "22012"
	InvalidTextRepresentation     Code = "22P02"
	InvalidBinaryRepresentation   Code = "22P03"
	InvalidEscapeSequence         Code = "22025"
	InvalidRegularExpression      Code = "2201B"
	InvalidRowCountInLimit        Code = "2201W"
	InvalidRowCountInOffset       Code = "2201X"
	CardinalityViolation          Code = "21000"
	SubstringError                Code = "22011"
	TrimError                     Code = "22027"
	ArraySubscriptError           Code = "2202E"
	InvalidEscapeCharacter        Code = "22019"
	InvalidArgumentForLog         Code = "2201E"
	InvalidArgumentForPower       Code = "2201F"
	InvalidArgumentForWidthBucket Code = "2201G"
	UntranslatableCharacter       Code = "22P05"
	CharacterValueOutOfRange      Code = "22000"

	IntegrityConstraintViolation Code = "23000"
	RestrictViolation            Code = "23001"
	NotNullViolation             Code = "23502"
	ForeignKeyViolation          Code = "23503"
	UniqueViolation              Code = "23505"
	CheckViolation               Code = "23514"

	InsufficientResources Code = "53000"
	DiskFull              Code = "53100"
	OutOfMemory           Code = "53200"
	TooManyConnections    Code = "53300"
	ProgramLimitExceeded  Code = "54000"
	StatementTooComplex   Code = "54001"
	TooManyColumns        Code = "54011"

	OperatorIntervention Code = "57000"
	QueryCanceled        Code = "57014"
	AdminShutdown        Code = "57P01"
	CrashShutdown        Code = "57P02"
	CannotConnectNow     Code = "57P03"

	SystemError   Code = "58000"
	IOError       Code = "58030"
	InternalError Code = "XX000"
	DataCorrupted Code = "XX001"
)

// Class returns the two-character class of c ("23" for "23505").
func (c Code) Class() string {
	if len(c) < 2 {
		return ""
	}
	return string(c[:2])
}

// Connection-exception codes a node uses when it cannot reach a server it
// needs (write forwarding to the primary).
const (
	SQLClientUnableToConnect     Code = "08001"
	TransactionResolutionUnknown Code = "08007"
)

// Window function argument errors (class 22).
const (
	InvalidArgumentForNtile         Code = "22014"
	InvalidArgumentForNthValue      Code = "22016"
	InvalidPrecedingOrFollowingSize Code = "22013"
)

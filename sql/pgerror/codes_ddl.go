package pgerror

// Codes of COPY, sequences and identity columns (errcodes.txt).
const (
	BadCopyFileFormat              Code = "22P04"
	SequenceGeneratorLimitExceeded Code = "2200H"
	GeneratedAlways                Code = "428C9"
	DuplicateSchema                Code = "42P06"
)

/** Options of the Lambda entry factories; Lambda uses the defaults. */
export interface EntryOptions {
  /** Where log lines (and EMF metric lines) go. @default stdout (CloudWatch Logs in Lambda) */
  readonly writeLog?: (line: string) => void;
}

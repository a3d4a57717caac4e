/**
 * A small CloudWatch metric math language: each expression knows the text a CloudWatch alarm
 * evaluates and evaluates itself the same way, one datapoint at a time, so the scaling alarms'
 * decisions can be simulated from the very expressions the stack deploys (components/scaling.ts).
 *
 * Per datapoint, as CloudWatch does: a metric without a datapoint is missing, and so is anything
 * computed from it, unless FILL gives it a value; comparisons are 1 or 0; IF picks a branch by a
 * non-zero condition. Division by zero is missing here; the scaling expressions guard it with IF.
 */

/** The value of each metric query at one datapoint; undefined when the metric has none. */
export type Datapoint = Readonly<Record<string, number | undefined>>;

/** One metric math expression. */
export interface Expr {
  /** The expression as CloudWatch reads it. */
  readonly text: string;
  /** Its value at one datapoint; undefined when the result has no datapoint there. */
  evaluate(values: Datapoint): number | undefined;
  /** The metric query ids it reads. */
  readonly ids: readonly string[];
  /** A name, a number or a function call: an operand that needs no parentheses. */
  readonly atomic: boolean;
}

const expr = (text: string, ids: readonly string[], evaluate: Expr["evaluate"], atomic = true): Expr => ({
  text,
  ids: [...new Set(ids)],
  evaluate,
  atomic,
});

/** A metric query by its id. */
export const metric = (id: string): Expr => {
  if (!/^[a-z][A-Za-z0-9_]*$/.test(id)) throw new Error(`metric query id ${id} must start with a lower-case letter`);
  return expr(id, [id], (v) => v[id]);
};

/** A constant. */
export const num = (n: number): Expr => expr(String(n), [], () => n);

/** FILL(m, value): the metric's datapoint, or `value` where it has none. */
export const fill = (m: Expr, value: number): Expr => expr(`FILL(${m.text}, ${value})`, m.ids, (v) => m.evaluate(v) ?? value);

type BinaryOp = "+" | "-" | "*" | "/" | "==" | "!=" | ">" | ">=" | "<" | "<=";
const OPS: Record<BinaryOp, (a: number, b: number) => number | undefined> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => (b === 0 ? undefined : a / b),
  "==": (a, b) => Number(a === b),
  "!=": (a, b) => Number(a !== b),
  ">": (a, b) => Number(a > b),
  ">=": (a, b) => Number(a >= b),
  "<": (a, b) => Number(a < b),
  "<=": (a, b) => Number(a <= b),
};
/** An operand's text, in parentheses when it is itself an operation. */
const operand = (e: Expr) => (e.atomic ? e.text : `(${e.text})`);

/** `a op b`, missing where either side is. */
export const binary = (a: Expr, op: BinaryOp, b: Expr): Expr =>
  expr(
    `${operand(a)} ${op} ${operand(b)}`,
    [...a.ids, ...b.ids],
    (v) => {
      const x = a.evaluate(v);
      const y = b.evaluate(v);
      return x === undefined || y === undefined ? undefined : OPS[op](x, y);
    },
    false,
  );

/** The sum of several expressions, missing where any is. */
export const sum = (...terms: Expr[]): Expr =>
  terms.length === 1
    ? terms[0]
    : expr(
        terms.map(operand).join(" + "),
        terms.flatMap((t) => t.ids),
        (v) => {
          let total = 0;
          for (const t of terms) {
            const x = t.evaluate(v);
            if (x === undefined) return undefined;
            total += x;
          }
          return total;
        },
        false,
      );

/** IF(condition, whenTrue, whenFalse): per datapoint, the branch a non-zero condition picks. */
export const ifThen = (condition: Expr, whenTrue: Expr, whenFalse: Expr): Expr =>
  expr(`IF(${condition.text}, ${whenTrue.text}, ${whenFalse.text})`, [...condition.ids, ...whenTrue.ids, ...whenFalse.ids], (v) => {
    const c = condition.evaluate(v);
    if (c === undefined) return undefined;
    return c !== 0 ? whenTrue.evaluate(v) : whenFalse.evaluate(v);
  });

/**
 * Packages of a shipment (docs/orders.md#packages), pure: the SSCC-18 of each carton or pallet (GS1 check
 * digit), and the rule that packages hold no more than was shipped. Each package line is in the unit of
 * its shipped line (a `uom` of its own must be that one), so the sums compare like with like; packages may
 * hold less than was shipped (loose units, or packages not reported).
 */

/** A package as `order.shipped.v1` carries it. */
export interface ShipmentPackage {
  sscc: string;
  tracking?: string;
  weight?: { value: number; unit: 'LB' | 'KG' };
  lines: { lineId: string; quantity: number; uom?: string }[];
}

/** The GS1 check digit of the digits before it: weights 3 and 1 from the right, to the next ten. */
export function gs1CheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    const digit = Number(digits[digits.length - 1 - i]);
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether `sscc` is an SSCC-18: 18 digits whose last is the GS1 check digit of the first 17. */
export function isSscc(sscc: string): boolean {
  return /^\d{18}$/.test(sscc) && gs1CheckDigit(sscc.slice(0, 17)) === Number(sscc[17]);
}

/** A problem with a shipment's packages: a JSON pointer into the event data, and why. */
export interface PackageProblem {
  pointer: string;
  detail: string;
}

/**
 * What is wrong with the packages of a shipment: an SSCC that fails its check digit or repeats, a package
 * line the shipment does not ship, in another unit than its shipped line, or lines packed beyond what
 * was shipped.
 */
export function packageProblems(
  shipped: readonly { lineId: string; quantity: number; uom?: string }[],
  packages: readonly ShipmentPackage[],
): PackageProblem[] {
  const problems: PackageProblem[] = [];
  const seen = new Set<string>();
  const packed = new Map<string, number>();
  packages.forEach((pkg, p) => {
    if (!isSscc(pkg.sscc)) {
      problems.push({
        pointer: `/packages/${p}/sscc`,
        detail: `'${pkg.sscc}' is not an SSCC-18: 18 digits, the last the GS1 check digit (${/^\d{17}/.test(pkg.sscc) ? `expected ${gs1CheckDigit(pkg.sscc.slice(0, 17))}` : 'not 18 digits'})`,
      });
    } else if (seen.has(pkg.sscc)) {
      problems.push({ pointer: `/packages/${p}/sscc`, detail: `SSCC ${pkg.sscc} is on two packages` });
    }
    seen.add(pkg.sscc);
    pkg.lines.forEach((line, l) => {
      const pointer = `/packages/${p}/lines/${l}`;
      const of = shipped.find((s) => s.lineId === line.lineId);
      if (!of) {
        problems.push({ pointer, detail: `line ${line.lineId} is not among the shipped lines` });
        return;
      }
      const unit = of.uom ?? 'EA';
      if ((line.uom ?? unit) !== unit) {
        problems.push({
          pointer: `${pointer}/uom`,
          detail: `line ${line.lineId} is packed in ${line.uom} but shipped in ${unit}; use the shipped line's unit`,
        });
        return;
      }
      packed.set(line.lineId, (packed.get(line.lineId) ?? 0) + line.quantity);
    });
  });
  for (const [lineId, quantity] of packed) {
    const shippedQuantity = shipped.filter((s) => s.lineId === lineId).reduce((n, s) => n + s.quantity, 0);
    if (quantity > shippedQuantity) {
      problems.push({
        pointer: '/packages',
        detail: `line ${lineId}: the packages hold ${quantity}, more than the ${shippedQuantity} shipped`,
      });
    }
  }
  return problems;
}

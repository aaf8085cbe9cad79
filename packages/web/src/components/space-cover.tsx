/** A cover made from the space's name: initials on a colour picked from the name. */
export function SpaceCover({ name }: { name: string }) {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  const hue = hash % 360;
  const initials =
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((word) => [...word][0]?.toUpperCase() ?? "")
      .join("") || "?";
  return (
    <div className="cover" aria-hidden="true" style={{ backgroundColor: `hsl(${hue} 55% 30%)` }}>
      {initials}
    </div>
  );
}

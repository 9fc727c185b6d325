export default function (input) {
  return { ok: true ;
}

throw new Error("broken at load");
export default () => 1;

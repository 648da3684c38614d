import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.rocketmq.filter.expression.*;
import org.apache.rocketmq.filter.parser.SelectorParser;

// Reads lines "hexExpr hexProps", prints one of: E (parse error), T, F, N (null), X (eval exception).
public class Oracle {
    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }
    public static void main(String[] a) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false);
        String line;
        while ((line = r.readLine()) != null) {
            String[] f = line.split(" ", -1);
            String expr = new String(unhex(f[0]), StandardCharsets.UTF_8);
            String props = f.length > 1 ? new String(unhex(f[1]), StandardCharsets.UTF_8) : "";
            final Map<String, String> m = new HashMap<>();
            for (String seg : props.split("\u0002")) {
                int i = seg.indexOf('\u0001');
                if (i > 0 && i < seg.length() - 1) m.put(seg.substring(0, i), seg.substring(i + 1));
            }
            Expression e;
            try {
                e = SelectorParser.parse(expr);
            } catch (Throwable t) {
                out.println("E");
                continue;
            }
            EvaluationContext ctx = new EvaluationContext() {
                public Object get(String name) { return m.get(name); }
                public Map<String, Object> keyValues() { return null; }
            };
            try {
                Object v = e.evaluate(ctx);
                if (v == null) out.println("N");
                else if (v == Boolean.TRUE) out.println("T");
                else if (v instanceof Boolean && !((Boolean) v)) out.println("F");
                else out.println("?" + v);
            } catch (Throwable t) {
                out.println("X");
            }
        }
        out.flush();
    }
}

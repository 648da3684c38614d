import java.io.*;
import java.nio.charset.StandardCharsets;

// Reads hex-encoded UTF-8 strings, one a line, and prints for each what
// Integer.valueOf, Long.valueOf and Double.valueOf (as raw bits in hex)
// make of it: "<int|E> <long|E> <bits|E>".
public class Nums {
    public static void main(String[] a) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false);
        String line;
        while ((line = r.readLine()) != null) {
            byte[] b = new byte[line.length() / 2];
            for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(line.substring(2 * i, 2 * i + 2), 16);
            String s = new String(b, StandardCharsets.UTF_8);
            String iv, lv, dv;
            try { iv = Integer.valueOf(s).toString(); } catch (NumberFormatException e) { iv = "E"; }
            try { lv = Long.valueOf(s).toString(); } catch (NumberFormatException e) { lv = "E"; }
            try { dv = Long.toHexString(Double.doubleToRawLongBits(Double.valueOf(s))); } catch (NumberFormatException e) { dv = "E"; }
            out.println(iv + " " + lv + " " + dv);
        }
        out.flush();
    }
}

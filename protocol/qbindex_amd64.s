//go:build !purego

#include "textflag.h"

// func qbMask(b *byte, n int, out *uint64)
TEXT ·qbMask(SB), NOSPLIT, $0-24
	MOVQ b+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	MOVQ $0x22, AX
	MOVQ AX, X0
	VPBROADCASTB X0, Y0 // '"' in every byte
	MOVQ $0x5c, AX
	MOVQ AX, X1
	VPBROADCASTB X1, Y1 // '\\' in every byte

loop:
	TESTQ CX, CX
	JZ    done
	VMOVDQU   (SI), Y2
	VMOVDQU   32(SI), Y3
	VPCMPEQB  Y0, Y2, Y4
	VPCMPEQB  Y1, Y2, Y5
	VPOR      Y4, Y5, Y4
	VPMOVMSKB Y4, AX
	VPCMPEQB  Y0, Y3, Y6
	VPCMPEQB  Y1, Y3, Y7
	VPOR      Y6, Y7, Y6
	VPMOVMSKB Y6, BX
	SHLQ      $32, BX
	ORQ       BX, AX
	MOVQ      AX, (DI)
	ADDQ      $64, SI
	ADDQ      $8, DI
	DECQ      CX
	JMP       loop

done:
	VZEROUPPER
	RET
